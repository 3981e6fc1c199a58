#pragma once
// When the watch does what: MX polls per customer domain, relay tests and
// blacklist checks per MX address ("target", "ip:port"). No I/O, no clock
// of its own: every call takes `now`, so a fake clock tests it
// (scheduler_test.cpp), like queue/scheduler.cpp. The courier (watcher.cpp)
// does the lookups, the tests and the notices, and reports back here.
//
// Rules:
// * a domain is polled every mx_interval, jittered by +-10%, and never
//   sooner than its MX answer's TTL (a caching resolver would only repeat
//   itself); a new domain at once;
// * an MX address is tested at once when it is new or its MX set changed
//   (trigger "mx-change"), then every retest_interval ("periodic"); an
//   inconclusive test is retried after retry_inconclusive; a target is
//   never handed out twice at once;
// * every MX address is blacklist-checked every rbl_interval, the first
//   time at once;
// * the state loaded from the store keeps these promises across restarts:
//   what was due before is due at once after.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace holdfast::watch {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

struct Settings {
    Seconds mx_interval{300};
    Seconds retest_interval{7 * 86400};
    Seconds rbl_interval{86400};
    Seconds retry_inconclusive{3600};
    Seconds max_ttl_wait{86400};  // a TTL longer than this is not waited for
    double jitter = 0.1;          // +- this fraction of mx_interval
};

struct TestJob {
    std::string target, customer, domain, trigger;  // trigger: mx-change | periodic
};

struct CheckJob {
    std::string target, customer;
};

struct Counts {
    std::size_t domains = 0, targets = 0, polls_due = 0, tests_due = 0, checks_due = 0;
    std::optional<TimePoint> next;  // the next thing due
};

class Scheduler {
  public:
    // random() in [0, 1): the jitter (tests pass a fixed one).
    explicit Scheduler(Settings s, std::function<double()> random = {});

    // The targets as the store kept them (at start).
    void load(const std::vector<store::TargetState>& targets);

    // The customer domains now: new ones are due at once, gone ones dropped.
    void set_domains(const std::map<std::string, std::string>& domain_to_customer, TimePoint now);
    // Our own public addresses: blacklist-checked like a customer's MX
    // addresses (customer ""), never relay-tested here (the self check at
    // start-up covers that). Replaces the previous set.
    void set_self(const std::vector<std::string>& addresses);
    // Domains whose poll is due (all of them when `all`).
    std::vector<std::string> due_polls(TimePoint now, bool all = false) const;
    // A poll's outcome: the domain's MX targets now (our own MX left out)
    // and whether the set changed. Returns the targets that left it.
    std::vector<std::string> polled(const std::string& domain,
                                    const std::vector<std::string>& now_targets, bool changed,
                                    Seconds ttl, TimePoint now);
    // The same after a failed lookup: try again at the next interval, keep the targets.
    void poll_failed(const std::string& domain, TimePoint now);

    std::vector<TestJob> due_tests(TimePoint now);  // marks them in flight
    void tested(const std::string& target, const std::string& verdict, std::int64_t test_id,
                TimePoint now);
    std::vector<CheckJob> due_checks(TimePoint now);  // marks them in flight
    void checked(const std::string& target, const std::vector<std::string>& listed, TimePoint now);

    std::optional<TimePoint> next_due() const;
    Counts counts(TimePoint now) const;

    // What the store keeps about one target (to save after a change).
    std::optional<store::TargetState> state(const std::string& target) const;
    // The customer's targets now, with their last verdict and test.
    struct Current {
        std::string target, verdict;
        std::int64_t test_id = 0;
    };
    std::vector<Current> targets_of(const std::string& customer) const;

  private:
    struct Domain {
        std::string customer;
        TimePoint next_poll{};
        std::set<std::string> targets;
    };
    struct Target {
        store::TargetState state;
        bool test_now = false;
        bool self = false;
        bool testing = false, checking = false;
        std::int64_t last_test_id = 0;
    };
    std::optional<TimePoint> test_due(const Target& t) const;
    TimePoint check_due(const Target& t) const;

    Settings settings_;
    std::function<double()> random_;
    std::map<std::string, Domain> domains_;
    std::map<std::string, Target> targets_;
};

}  // namespace holdfast::watch
