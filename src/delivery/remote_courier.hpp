#pragma once
// Delivers the spool's `backup` and `relay` recipients over SMTP, on a
// strand of the daemon's io_context (the SMTP server's threads run it too:
// a stored message then wakes one thread, not a courier thread besides,
// bench/profile.md). The scheduler (queue/scheduler.hpp)
// decides when, next_hop.hpp where, the SMTP client how; every outcome is
// recorded through Spool::modify_recipients, and failures and the one delay
// warning go back to the sender as RFC 3464 notices queued in the spool
// from <> (never for a message that came from <>).
//
// Wiring (app.cpp): construct after the spool, the resolver and the
// io_context, start(), call enqueue() from Spool::set_on_stored next to the
// local courier's. No Asio in this header.
//
// Its handlers must not block: the I/O threads are shared. The one
// exception, rare: saving the down destinations (an fsync) when one goes
// down or comes back.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "delivery/next_hop.hpp"
#include "queue/spool.hpp"
#include "smtp/client/types.hpp"

namespace boost::asio {
class io_context;
}

namespace holdfast::dns {
class Resolver;
}

namespace holdfast::delivery {

struct RemoteSettings {
    std::string hostname;  // Reporting-MTA, MAILER-DAEMON@hostname
    Self self;             // for the backup-MX cut
    smtp::client::Options client;
    config::QueuePolicy queue;                  // defaults (incl. concurrency)
    std::vector<config::BackupDomain> backups;  // primary overrides and per-domain policies
    std::vector<std::string> local_domains;     // where notices to our own users go
    unsigned hops = 50;  // limits.hops: a message with more Received: fields is bounced (5.4.6)
    // Where the destinations known to be down, their next probe and why,
    // are kept across restarts ("" = nowhere). docs/queue-format.md.
    std::filesystem::path destinations_file;
    // Wall clock for the schedule (tests may shift it).
    std::function<std::chrono::system_clock::time_point()> clock;
};

// Settings from the config: hostname, self (listen addresses and
// server.addresses), queue policies, backups, local domains.
RemoteSettings remote_settings_from(const config::Config& c);

class RemoteCourier {
  public:
    RemoteCourier(boost::asio::io_context& io, queue::Spool& spool, dns::Resolver& resolver,
                  RemoteSettings settings);
    // Only once `io` runs no handler any more (the daemon: its I/O threads
    // joined). Attempts still under way then are abandoned, destroyed with
    // io's handlers: their recipients stay pending in the spool, at worst a
    // duplicate on the next start.
    ~RemoteCourier();
    RemoteCourier(const RemoteCourier&) = delete;
    RemoteCourier& operator=(const RemoteCourier&) = delete;

    // Schedules every spooled message with pending remote recipients, then
    // starts the courier's loop: it delivers while `io` runs.
    void start();
    // Thread-safe: a message to schedule (again), read from the spool.
    void enqueue(const std::string& id);
    // The same for a message just stored (Spool::set_on_stored), as stored.
    void enqueue(const queue::Envelope& env);
    // A reload (thread-safe): the backup domains' primaries and queue
    // policies from now on.
    void set_backups(std::vector<config::BackupDomain> backups);
    // Thread-safe: try everything (for one destination domain) now.
    void flush(const std::string& domain = "");
    // Thread-safe: why a destination is down ("connect to ...: Connection
    // refused"), or "" when it is not known to be down. Messages waiting
    // behind a down destination were not tried themselves; `queue list`
    // shows them this reason, as Postfix shows "delivery temporarily
    // suspended".
    std::string down_reason(const std::string& domain) const;
    // Thread-safe: the down destination's next probe (nullopt when it is
    // not down): no message for it is tried before then.
    std::optional<std::chrono::system_clock::time_point> next_probe(
        const std::string& domain) const;
    // Thread-safe: whether a delivery attempt of message `id` is under way.
    bool in_flight(const std::string& id) const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::delivery
