#pragma once
// Delivers the spool's `local` recipients into Maildirs or over LMTP
// (RFC 2033, [[local]] lmtp), on its own thread.
// The spool stays the source of truth: every outcome is recorded through
// Spool::modify_recipients, and on start the courier picks up every message
// that still has pending local recipients (mail accepted before a crash).
// A held message (Envelope::held) is not attempted until enqueued again.
// LMTP: all of a message's recipients for one target go in one transaction;
// a 2xx for a recipient is delivered, a 5xx fails it and bounces it to the
// sender (never to <>), a 4xx or a store that cannot be reached leaves it
// pending, retried with the queue's backoff (retry_min doubling up to
// retry_max) or at once on `queue flush`.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "delivery/lmtp_client.hpp"
#include "delivery/notice.hpp"
#include "queue/spool.hpp"

namespace holdfast::delivery {

// What one delivery attempt to one recipient came to.
struct LocalOutcome {
    queue::RecipientState state = queue::RecipientState::pending;
    std::string dsn;     // "2.0.0", "4.3.0", "5.1.1"
    std::string error;   // "" when delivered
    std::string target;  // the Maildir path, when one was chosen
    bool retry = false;  // pending and worth another try later
    bool lmtp = false;   // the outcome of an LMTP transaction (retried with backoff)
    std::string text;    // LMTP: the store's reply ("550 5.1.1 ..."), or our words
    bool reply = false;  // `text` is the store's reply
};

struct LocalSettings {
    std::chrono::milliseconds retry_interval{std::chrono::seconds(30)};  // a failed Maildir write
    // LMTP temporary failures: [queue] retry_min, doubling up to retry_max.
    std::chrono::milliseconds lmtp_retry_min{std::chrono::minutes(5)};
    std::chrono::milliseconds lmtp_retry_max{std::chrono::hours(1)};
    LmtpSettings lmtp;       // LHLO name, timeouts
    NoticeSettings notices;  // bounces of LMTP's permanent failures
};

// From the config: [server] hostname, [queue] retry_min / retry_max.
LocalSettings local_settings_from(const config::Config& c);

class LocalCourier {
  public:
    LocalCourier(queue::Spool& spool, std::vector<config::LocalDomain> domains,
                 LocalSettings settings);
    LocalCourier(queue::Spool& spool, std::vector<config::LocalDomain> domains,
                 std::chrono::milliseconds retry_interval = std::chrono::seconds(30));
    ~LocalCourier();  // stop()
    LocalCourier(const LocalCourier&) = delete;
    LocalCourier& operator=(const LocalCourier&) = delete;

    // Starts the worker and queues every spooled message with a pending
    // local recipient.
    void start();
    // Finishes the delivery in progress, if any, and stops. Undelivered mail
    // stays in the spool for the next start.
    void stop();
    // Thread-safe; cheap: a message to look at now.
    void enqueue(const std::string& id);
    // The same for a message just stored (Spool::set_on_stored): only one
    // with a local recipient wakes the courier.
    void enqueue(const queue::Envelope& env);
    // A reload: the local domains from now on (thread-safe); a delivery in
    // progress finishes with the ones it started with.
    void set_domains(std::vector<config::LocalDomain> domains);
    // `queue flush`: every message waiting for a retry is tried now
    // (domain "" = all, else those with a pending recipient there).
    void flush(const std::string& domain);

    // One recipient (public for tests). `message` holds the bytes, or is empty for a message larger
    // than kWholeMessage: that one is read from the spool piece by piece.
    LocalOutcome deliver_one(const queue::Envelope& env, const queue::Recipient& r,
                             const std::string& message) const;

  private:
    using Outcomes = std::map<std::string, LocalOutcome>;  // address -> outcome
    void run();
    // Try this message again after the returned delay, or not (nullopt).
    std::optional<std::chrono::milliseconds> deliver(const std::string& id);
    // The domain's entry in the current set; it keeps that set alive.
    using DomainRef = std::shared_ptr<const config::LocalDomain>;
    DomainRef find_domain(std::string_view domain) const;
    // Recipient checks shared by Maildir and LMTP: a failure, or the domain.
    std::variant<LocalOutcome, DomainRef> check(const queue::Recipient& r) const;
    std::shared_ptr<const std::vector<config::LocalDomain>> domains() const;
    // One LMTP transaction per target for `rcpts` (local_lmtp.cpp).
    void deliver_lmtp(const queue::Envelope& env, const std::vector<const queue::Recipient*>& rcpts,
                      const std::string& message, Outcomes& outcomes);
    void bounce(const queue::Envelope& env, const std::string& message, const Outcomes& outcomes);
    std::chrono::milliseconds lmtp_backoff(unsigned attempts) const;

    queue::Spool& spool_;
    mutable std::mutex domains_mu_;
    std::shared_ptr<const std::vector<config::LocalDomain>> domains_;  // under domains_mu_
    const LocalSettings settings_;
    const std::chrono::milliseconds retry_interval_;
    LmtpClient lmtp_;                                // the worker thread's only
    std::map<std::string, unsigned> lmtp_attempts_;  // id -> LMTP deferrals so far (worker only)

    std::mutex mu_;  // guards everything below
    std::condition_variable cv_;
    std::vector<std::string> ready_;  // to deliver now, in order
    std::set<std::string> queued_;    // ids in ready_ (no double entries)
    std::map<std::string, std::chrono::steady_clock::time_point> retry_;  // id -> when
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace holdfast::delivery
