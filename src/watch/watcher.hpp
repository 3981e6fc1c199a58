#pragma once
// The watch's courier: does what scheduler.hpp says is due. MX polls over
// our resolver, relay tests (relaytest::probe) a few at a time, blacklist
// checks (dnsbl::lookup); records everything in the store; turns an open
// verdict into a violation with its charge and a closed one into a
// resolution; queues notices through our own spool. One thread of its own
// with a private io_context; the control socket and the CLI reach it
// through handle().
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "policy/customer_domains.hpp"
#include "queue/spool.hpp"
#include "store/store.hpp"
#include "util/net.hpp"
#include "watch/scheduler.hpp"

namespace holdfast::watch {

struct WatcherSettings {
    Settings schedule;
    std::vector<long> charges{0, 100, 200};
    std::string abuse;
    std::vector<std::string> zones;
    std::size_t concurrency = 4;       // relay tests at once
    std::size_t dns_concurrency = 32;  // MX polls and blacklist checks at once
    std::chrono::milliseconds test_timeout{30000};
    std::chrono::milliseconds test_pause{1000};
    std::uint16_t test_port = 25;
    std::string mx_name;                          // our backup MX's name in customers' MX sets
    std::vector<util::IpAddress> self_addresses;  // never tested as a customer's
    // Our public addresses ([server] addresses, non-loopback listeners):
    // blacklist-checked like a customer's, notices to `postmaster`.
    std::vector<util::IpAddress> public_addresses;
    std::string postmaster;  // default postmaster@<first local domain or hostname>
    std::string notice_from;
    std::string hostname;
    std::vector<std::string> local_domains;  // notices to these are delivered here
    std::function<TimePoint()> clock;
};

WatcherSettings watcher_settings_from(const config::Config& c);

// The customers' domains for the relay policy, from the store.
policy::CustomerDomainMap customer_domains(store::Store& store);

class Watcher {
  public:
    // `spool` may be null (no notices are queued then, they are only logged);
    // `domains` may be null (no backup MX to update).
    Watcher(store::Store& store, dns::Resolver& resolver, queue::Spool* spool,
            policy::CustomerDomains* domains, WatcherSettings settings);
    ~Watcher();
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    void start();  // the thread: cycles whenever something is due
    void stop();

    // The store's customers changed: the backup MX's domains now, a cycle soon.
    void refresh_customers();
    // One cycle now, every domain polled; blocks until it is done.
    nlohmann::json run_once(std::chrono::seconds timeout = std::chrono::seconds(600));
    nlohmann::json status();
    // The control socket's watch requests (control/protocol.hpp).
    nlohmann::json handle(const nlohmann::json& request);

  private:
    friend struct CycleRun;  // one cycle's phases (cycle_run.hpp)
    void run();
    nlohmann::json cycle(bool all);

    store::Store& store_;
    dns::Resolver& resolver_;
    queue::Spool* spool_;
    policy::CustomerDomains* domains_;
    WatcherSettings settings_;
    Scheduler scheduler_;  // the watcher thread's (and status()'s, under mu_)

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool wake_ = false;
    std::uint64_t requested_ = 0, completed_ = 0;  // run-once tickets
    bool running_ = false;
    nlohmann::json last_cycle_;
    std::map<std::string, std::vector<std::string>> problems_;  // misconfigured domains
    std::thread thread_;
};

}  // namespace holdfast::watch
