// The watch's timing with a fake clock: nothing here sleeps or does I/O.
#include "watch/scheduler.hpp"

#include <gtest/gtest.h>

namespace holdfast::watch {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));

Settings settings() {
    Settings s;
    s.mx_interval = 300s;
    s.retest_interval = 7 * 86400s;
    s.rbl_interval = 86400s;
    s.retry_inconclusive = 3600s;
    return s;
}

Scheduler make() {
    return Scheduler(settings(), [] { return 0.5; });  // no jitter
}

TEST(WatchScheduler, NewDomainPolledAtOnceThenEveryIntervalOrTtl) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    EXPECT_EQ(s.due_polls(t0), std::vector<std::string>{"acme.test"});
    s.polled("acme.test", {"192.0.2.1:25"}, true, 60s, t0);
    EXPECT_TRUE(s.due_polls(t0 + 299s).empty());
    EXPECT_EQ(s.due_polls(t0 + 300s).size(), 1u);
    // A TTL longer than the interval is waited for.
    s.polled("acme.test", {"192.0.2.1:25"}, false, 3600s, t0 + 300s);
    EXPECT_TRUE(s.due_polls(t0 + 3000s).empty());
    EXPECT_EQ(s.due_polls(t0 + 3900s).size(), 1u);
    EXPECT_EQ(s.due_polls(t0 + 301s, true).size(), 1u);  // run-once polls everything
}

TEST(WatchScheduler, JitterStaysWithinTenPercent) {
    double r = 0.0;
    Scheduler s(settings(), [&] { return r; });
    s.set_domains({{"a.test", "a"}}, t0);
    s.polled("a.test", {}, false, 0s, t0);
    EXPECT_EQ(s.due_polls(t0 + 270s).size(), 1u);
    EXPECT_TRUE(s.due_polls(t0 + 269s).empty());
    r = 0.999999;
    s.polled("a.test", {}, false, 0s, t0);
    EXPECT_TRUE(s.due_polls(t0 + 328s).empty());
    EXPECT_EQ(s.due_polls(t0 + 330s).size(), 1u);
}

TEST(WatchScheduler, NewAddressTestedAtOnceThenPeriodicallyNeverTwiceAtOnce) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    s.polled("acme.test", {"192.0.2.1:25"}, true, 0s, t0);
    auto jobs = s.due_tests(t0);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].trigger, "mx-change");
    EXPECT_EQ(jobs[0].customer, "acme");
    EXPECT_TRUE(s.due_tests(t0).empty());  // in flight
    s.tested("192.0.2.1:25", "closed", 1, t0 + 10s);
    EXPECT_TRUE(s.due_tests(t0 + 7 * 86400s).empty());
    jobs = s.due_tests(t0 + 10s + 7 * 86400s);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].trigger, "periodic");
}

TEST(WatchScheduler, ChangedSetRetestsAndGoneTargetsAreReported) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    s.polled("acme.test", {"192.0.2.1:25"}, true, 0s, t0);
    s.due_tests(t0);
    s.tested("192.0.2.1:25", "closed", 1, t0);
    auto gone = s.polled("acme.test", {"192.0.2.2:25"}, true, 0s, t0 + 300s);
    EXPECT_EQ(gone, std::vector<std::string>{"192.0.2.1:25"});
    auto jobs = s.due_tests(t0 + 300s);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].target, "192.0.2.2:25");
    EXPECT_EQ(jobs[0].trigger, "mx-change");
}

TEST(WatchScheduler, InconclusiveIsRetriedSooner) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    s.polled("acme.test", {"192.0.2.1:25"}, true, 0s, t0);
    s.due_tests(t0);
    s.tested("192.0.2.1:25", "inconclusive", 1, t0);
    EXPECT_TRUE(s.due_tests(t0 + 3599s).empty());
    EXPECT_EQ(s.due_tests(t0 + 3600s).size(), 1u);
}

TEST(WatchScheduler, BlacklistChecksAtOnceThenDaily) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    s.polled("acme.test", {"192.0.2.1:25"}, true, 0s, t0);
    auto checks = s.due_checks(t0);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_TRUE(s.due_checks(t0).empty());
    s.checked("192.0.2.1:25", {"bl.test"}, t0);
    EXPECT_TRUE(s.due_checks(t0 + 86399s).empty());
    EXPECT_EQ(s.due_checks(t0 + 86400s).size(), 1u);
    EXPECT_EQ(s.state("192.0.2.1:25")->listed_zones, std::vector<std::string>{"bl.test"});
}

TEST(WatchScheduler, WhatWasDueBeforeARestartIsDueAfter) {
    store::TargetState t;
    t.target = "192.0.2.1:25";
    t.customer = "acme";
    t.domain = "acme.test";
    t.last_test = t0 - 8 * 86400s;  // overdue
    t.last_verdict = "closed";
    t.last_rbl = t0 - 3600s;  // not yet
    auto s = make();
    s.load({t});
    s.set_domains({{"acme.test", "acme"}}, t0);
    EXPECT_EQ(s.due_tests(t0).size(), 1u);
    EXPECT_TRUE(s.due_checks(t0).empty());
    // An unchanged MX set does not make the target due again.
    s.polled("acme.test", {"192.0.2.1:25"}, false, 0s, t0);
    auto c = s.counts(t0);
    EXPECT_EQ(c.domains, 1u);
    EXPECT_EQ(c.targets, 1u);
    ASSERT_TRUE(c.next);
    EXPECT_EQ(*c.next, t0 + 300s);
}

TEST(WatchScheduler, RemovedDomainDropsItsTargets) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    s.polled("acme.test", {"192.0.2.1:25"}, true, 0s, t0);
    s.set_domains({}, t0);
    EXPECT_TRUE(s.due_tests(t0).empty());
    EXPECT_EQ(s.counts(t0).targets, 0u);
}

TEST(WatchScheduler, OurOwnAddressesAreCheckedNeverTested) {
    auto s = make();
    s.set_domains({{"acme.test", "acme"}}, t0);
    s.set_self({"192.0.2.25:25"});
    EXPECT_TRUE(s.due_tests(t0).empty());
    auto checks = s.due_checks(t0);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].customer, "");
    s.checked("192.0.2.25:25", {"bl.test"}, t0);
    s.set_domains({{"acme.test", "acme"}}, t0);  // customers change: ours stay
    EXPECT_EQ(s.state("192.0.2.25:25")->listed_zones, std::vector<std::string>{"bl.test"});
    // After a restart, loaded from the store, still ours.
    auto again = make();
    again.load({*s.state("192.0.2.25:25")});
    again.set_domains({}, t0);
    again.set_self({"192.0.2.25:25"});
    EXPECT_EQ(again.state("192.0.2.25:25")->listed_zones, std::vector<std::string>{"bl.test"});
    EXPECT_TRUE(again.due_tests(t0).empty());
    again.set_self({});
    EXPECT_FALSE(again.state("192.0.2.25:25"));
}

}  // namespace
}  // namespace holdfast::watch
