#pragma once
// Delivers the spool's `local` recipients into Maildirs, on its own thread.
// The spool stays the source of truth: every outcome is recorded through
// Spool::modify_recipients, and on start the courier picks up every message
// that still has pending local recipients (mail accepted before a crash).
// A held message (Envelope::held) is not attempted until enqueued again.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "queue/spool.hpp"

namespace holdfast::delivery {

// What one delivery attempt to one recipient came to.
struct LocalOutcome {
    queue::RecipientState state = queue::RecipientState::pending;
    std::string dsn;     // "2.0.0", "4.3.0", "5.1.1"
    std::string error;   // "" when delivered
    std::string target;  // the Maildir path, when one was chosen
    bool retry = false;  // pending and worth another try later
};

class LocalCourier {
  public:
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
    // Thread-safe; cheap; call it from Spool::set_on_stored.
    void enqueue(const std::string& id);
    // A reload: the local domains from now on (thread-safe); a delivery in
    // progress finishes with the ones it started with.
    void set_domains(std::vector<config::LocalDomain> domains);

    // One recipient (public for tests). `message` holds the bytes, or is empty for a message larger
    // than kWholeMessage: that one is read from the spool piece by piece.
    LocalOutcome deliver_one(const queue::Envelope& env, const queue::Recipient& r,
                             const std::string& message) const;

  private:
    void run();
    bool deliver(const std::string& id);  // true: try this message again later
    std::shared_ptr<const std::vector<config::LocalDomain>> domains() const;

    queue::Spool& spool_;
    mutable std::mutex domains_mu_;
    std::shared_ptr<const std::vector<config::LocalDomain>> domains_;  // under domains_mu_
    const std::chrono::milliseconds retry_interval_;

    std::mutex mu_;  // guards everything below
    std::condition_variable cv_;
    std::vector<std::string> ready_;  // to deliver now, in order
    std::set<std::string> queued_;    // ids in ready_ (no double entries)
    std::map<std::string, std::chrono::steady_clock::time_point> retry_;  // id -> when
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace holdfast::delivery
