#pragma once
// Internal to the remote courier: its state, shared by remote_courier.cpp
// (lifecycle, the scheduling loop, expiry and delay notices) and
// remote_attempt.cpp (one delivery attempt).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "delivery/notice.hpp"
#include "delivery/remote_courier.hpp"
#include "queue/scheduler.hpp"
#include "smtp/client/session.hpp"
#include "smtp/client/types.hpp"

namespace holdfast::delivery {

// How long a connection may wait for the next message to the same host
// (as Postfix's smtp_connection_cache_time_limit). As many may wait as the
// destination's `concurrency`.
inline constexpr std::chrono::seconds kIdleLimit{2};

// What happened to one recipient in an attempt.
struct RemoteOutcome {
    smtp::client::Status status;
    std::string remote;  // "mx.customer.test[192.0.2.1]:25", "" when no host answered
    bool tls = false;
};

// What the schedule needs of a message just stored: made on the spool's
// writer thread (enqueue), so that this crosses to the courier's strand,
// not a copy of the whole envelope (addresses, client, DSN parameters).
struct Arrival {
    std::string id;
    std::vector<std::string> domains;  // of the pending remote recipients, each once, sorted
    std::chrono::system_clock::time_point arrival;
    std::chrono::system_clock::time_point next_attempt;
    bool warned = false;
    unsigned attempts = 0;
};
Arrival arrival_of(const queue::Envelope& env);  // no domains when held

struct RemoteCourier::Impl {
    Impl(boost::asio::io_context& io, queue::Spool& spool, dns::Resolver& resolver,
         RemoteSettings settings);

    std::chrono::system_clock::time_point now() const { return settings.clock(); }
    void schedule(const std::string& id);  // on the strand
    // The same from an envelope at hand; calls nothing in the spool (used
    // under Spool::for_each).
    void schedule(const queue::Envelope& env);
    void schedule(const Arrival& a);
    void schedule(const queue::QueuedMessage& m);  // the same from the spool's index
    void kick() { wake.cancel(); }
    boost::asio::awaitable<void> loop();
    void dispatch(const queue::Task& t);
    boost::asio::awaitable<void> expire(queue::Task t);
    boost::asio::awaitable<void> warn(queue::Task t);
    boost::asio::awaitable<void> attempt(queue::Task t);       // remote_attempt.cpp
    boost::asio::awaitable<void> attempt_once(queue::Task t);  // attempt() minus in-flight marking
    // The whole message: a small one at once, one in a body file on
    // large_reads (remote_attempt.cpp).
    boost::asio::awaitable<std::error_code> load_message(const queue::Envelope& env,
                                                         std::string& out);
    boost::asio::awaitable<std::map<std::string, RemoteOutcome>> deliver(
        const queue::Envelope& env, const std::string& message, std::string domain,
        std::vector<std::string> recipients, bool* connected);
    void record(const queue::Task& t, const queue::Envelope& env, const std::string& message,
                const std::map<std::string, RemoteOutcome>& outcomes, queue::Attempt result);
    std::string primary_for(const std::string& domain) const;
    void note_down(const std::string& destination, queue::Attempt result,
                   const std::map<std::string, RemoteOutcome>& outcomes);
    // Connection reuse: a session parked after a transaction, taken by the
    // next attempt to the same host, address and port (RSET, then MAIL).
    std::unique_ptr<smtp::client::Session> take_idle(const std::string& key);
    void park(const std::string& key, std::unique_ptr<smtp::client::Session> s,
              const std::string& domain);
    void reap_idle();  // closes those idle longer than kIdleLimit
    boost::asio::awaitable<void> close(std::unique_ptr<smtp::client::Session> s);

    queue::Spool& spool;
    dns::Resolver& resolver;
    RemoteSettings settings;
    NoticeSettings notices;
    queue::Scheduler scheduler;
    std::mt19937 rng{std::random_device{}()};
    // Everything of the courier's runs here, one handler at a time: the
    // state below needs no lock (but what down_mu guards).
    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    boost::asio::steady_timer wake{strand};
    struct Idle {
        std::unique_ptr<smtp::client::Session> session;
        std::chrono::steady_clock::time_point since;
    };
    std::multimap<std::string, Idle> idle;
    bool running = false;
    // What the control thread may read: guarded by down_mu.
    struct DownState {
        std::string reason;
        std::chrono::system_clock::time_point next_probe;
        bool operator==(const DownState&) const = default;
    };
    mutable std::mutex down_mu;
    std::map<std::string, DownState> down;   // destination -> why and when next, while down
    std::multiset<std::string> flying;       // ids with an attempt under way
    std::map<std::string, DownState> saved;  // what destinations_file holds (on the strand)
    void load_down();  // from settings.destinations_file, before the first schedule
    void save_down();  // to it, when the down set or a next probe changed
    // Where a message in a body file (over limits.data_in_memory, up to the
    // message size limit) is read: not on the I/O threads, which serve the
    // SMTP sessions too. A small one is read there, from the log segment
    // that was just written (the page cache). Last: goes first.
    boost::asio::thread_pool large_reads{1};
};

// The remote recipients of `env` still pending for `domain` ("" = any).
std::vector<std::string> pending_remote(const queue::Envelope& env, const std::string& domain);
std::string domain_of(const std::string& address);

}  // namespace holdfast::delivery
