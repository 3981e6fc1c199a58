// The scheduler under a hand-driven clock.
#include "queue/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

using namespace holdfast::queue;
using namespace std::chrono_literals;

namespace {

const Time T0 = std::chrono::system_clock::from_time_t(1'800'000'000);

SchedulePolicy quick() {
    SchedulePolicy p;
    p.retry_min = 5min;
    p.retry_max = 1h;
    p.lifetime = 24h * 7;
    p.delay_warning = 4h;
    p.probe_interval = 90s;
    p.concurrency = 3;
    return p;
}

std::vector<Task> of_kind(const std::vector<Task>& tasks, TaskKind k) {
    std::vector<Task> out;
    for (const auto& t : tasks) {
        if (t.kind == k) out.push_back(t);
    }
    return out;
}

}  // namespace

TEST(Backoff, DoublesFromMinToMax) {
    SchedulePolicy p = quick();
    EXPECT_EQ(backoff(p, 1), 5min);
    EXPECT_EQ(backoff(p, 2), 10min);
    EXPECT_EQ(backoff(p, 3), 20min);
    EXPECT_EQ(backoff(p, 4), 40min);
    EXPECT_EQ(backoff(p, 5), 1h);
    EXPECT_EQ(backoff(p, 60), 1h);  // no overflow however long it goes on
}

TEST(Scheduler, NewMailIsDueAtOnceAndDeliveredMailLeaves) {
    Scheduler s(quick());
    s.add("A", "customer.test", T0);
    auto tasks = s.due(T0);
    ASSERT_EQ(tasks, (std::vector<Task>{{TaskKind::deliver, "A", "customer.test"}}));
    EXPECT_TRUE(s.due(T0).empty());  // in flight: not handed out twice
    s.report("A", "customer.test", Attempt::delivered, T0 + 1s);
    EXPECT_EQ(s.size(), 0u);
    EXPECT_FALSE(s.next_wakeup());
}

TEST(Scheduler, A4xxBacksOffThatMessageOnly) {
    Scheduler s(quick());
    s.add("A", "d.test", T0);
    s.add("B", "d.test", T0);
    ASSERT_EQ(s.due(T0).size(), 2u);
    s.report("A", "d.test", Attempt::deferred, T0);
    s.report("B", "d.test", Attempt::delivered, T0);
    EXPECT_FALSE(s.is_down("d.test"));
    EXPECT_EQ(s.next_attempt("A", "d.test"), T0 + 5min);
    EXPECT_TRUE(s.due(T0 + 4min).empty());
    ASSERT_EQ(s.due(T0 + 5min).size(), 1u);
    s.report("A", "d.test", Attempt::deferred, T0 + 5min);
    EXPECT_EQ(s.next_attempt("A", "d.test"), T0 + 5min + 10min);
    EXPECT_EQ(s.next_wakeup(), T0 + 15min);
}

TEST(Scheduler, ADownDestinationGetsOneProbePerInterval) {
    Scheduler s(quick());
    for (auto id : {"A", "B", "C", "D", "E"}) s.add(id, "customer.test", T0);
    auto first = s.due(T0);
    ASSERT_EQ(first.size(), 3u);  // the concurrency limit
    s.report("A", "customer.test", Attempt::unreachable, T0 + 1s);
    EXPECT_TRUE(s.is_down("customer.test"));
    s.report("B", "customer.test", Attempt::unreachable, T0 + 2s);
    s.report("C", "customer.test", Attempt::unreachable, T0 + 3s);
    // Nothing until the probe interval has passed, counted from the first failure.
    EXPECT_TRUE(s.due(T0 + 60s).empty());
    EXPECT_EQ(s.next_wakeup(), T0 + 91s);
    // Then exactly one probe however many messages wait, and none while it runs.
    auto probe = s.due(T0 + 91s);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_EQ(probe[0].kind, TaskKind::probe);
    EXPECT_TRUE(s.due(T0 + 300s).empty());
    s.report(probe[0].id, "customer.test", Attempt::unreachable, T0 + 92s);
    EXPECT_EQ(s.due(T0 + 92s + 89s).size(), 0u);
    EXPECT_EQ(s.due(T0 + 92s + 90s).size(), 1u);
}

TEST(Scheduler, ASuccessfulProbeReleasesTheBacklogAtTheConcurrencyLimit) {
    Scheduler s(quick());
    for (auto id : {"A", "B", "C", "D", "E"}) s.add(id, "customer.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::unreachable, T0);
    // An hour later the messages' own backoff would say "later"; the probe says "now".
    Time back = T0 + 1h;
    std::vector<Task> probe;
    for (Time t = T0; probe.empty(); t += 90s) probe = s.due(t);
    s.report(probe[0].id, "customer.test", Attempt::delivered, back);
    EXPECT_FALSE(s.is_down("customer.test"));
    auto wave = s.due(back);
    EXPECT_EQ(of_kind(wave, TaskKind::deliver).size(), 3u);  // 4 left, 3 at a time
    EXPECT_TRUE(s.due(back).empty());
    s.report(wave[0].id, "customer.test", Attempt::delivered, back + 1s);
    auto more = s.due(back + 1s);
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].kind, TaskKind::deliver);
}

TEST(Scheduler, ADeferringProbeAlsoMeansTheDestinationIsBack) {
    Scheduler s(quick());
    s.add("A", "d.test", T0);
    s.add("B", "d.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::unreachable, T0);
    auto probe = s.due(T0 + 90s);
    ASSERT_EQ(probe.size(), 1u);
    s.report(probe[0].id, "d.test", Attempt::deferred, T0 + 91s);  // 452 mailbox full
    EXPECT_FALSE(s.is_down("d.test"));
    auto rest = s.due(T0 + 91s);
    ASSERT_EQ(rest.size(), 1u);  // the other message; the probed one backs off
    EXPECT_NE(rest[0].id, probe[0].id);
}

TEST(Scheduler, NewMailForADownDestinationWaitsForTheProbe) {
    Scheduler s(quick());
    s.add("A", "d.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::failed, T0);
    s.add("B", "d.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::unreachable, T0);
    s.add("C", "d.test", T0 + 10s);
    EXPECT_TRUE(s.due(T0 + 10s).empty());
    EXPECT_EQ(s.due(T0 + 90s).size(), 1u);
}

TEST(Scheduler, LifetimeCountsFromArrivalAndAChangeAppliesToQueuedMail) {
    Scheduler s(quick());
    s.add("OLD", "d.test", T0 - 6 * 24h);  // queued six days ago (e.g. found in the spool)
    s.add("NEW", "d.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::unreachable, T0);
    auto day = s.due(T0 + 24h);
    auto expired = of_kind(day, TaskKind::expire);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].id, "OLD");
    for (const auto& t : of_kind(day, TaskKind::probe))  // NEW, probing the destination
        s.report(t.id, t.destination, Attempt::unreachable, T0 + 24h);
    // The operator shortens this domain's lifetime to 2 days: NEW goes too.
    SchedulePolicy shorter = quick();
    shorter.lifetime = 48h;
    s.set_policy("d.test", shorter);
    auto later = s.due(T0 + 48h);
    ASSERT_EQ(of_kind(later, TaskKind::expire).size(), 1u);
    EXPECT_EQ(s.size(), 0u);
}

TEST(Scheduler, ExactlyOneDelayWarning) {
    Scheduler s(quick());
    s.add("A", "d.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::unreachable, T0);
    int warnings = 0;
    for (Time t = T0; t < T0 + 24h; t += 90s) {
        for (const auto& task : s.due(t)) {
            if (task.kind == TaskKind::warn) {
                ++warnings;
                EXPECT_GE(t, T0 + 4h);
                EXPECT_LT(t, T0 + 4h + 90s);
            }
            if (task.kind == TaskKind::probe)
                s.report(task.id, task.destination, Attempt::unreachable, t);
        }
    }
    EXPECT_EQ(warnings, 1);
    // Already warned before a restart: no second notice.
    Scheduler again(quick());
    again.add("A", "d.test", T0, {}, /*warned=*/true);
    EXPECT_TRUE(of_kind(again.due(T0 + 5h), TaskKind::warn).empty());
}

TEST(Scheduler, InFlightMessagesDoNotExpireUnderTheCourier) {
    Scheduler s(quick());
    s.add("A", "d.test", T0);
    ASSERT_EQ(s.due(T0 + 7 * 24h - 1s).size(), 2u);  // deliver + warn
    EXPECT_TRUE(of_kind(s.due(T0 + 8 * 24h), TaskKind::expire).empty());
    s.report("A", "d.test", Attempt::deferred, T0 + 8 * 24h);
    EXPECT_EQ(of_kind(s.due(T0 + 8 * 24h), TaskKind::expire).size(), 1u);
}

TEST(Scheduler, FlushMakesEverythingDue) {
    Scheduler s(quick());
    s.add("A", "a.test", T0);
    s.add("B", "b.test", T0);
    for (const auto& t : s.due(T0)) s.report(t.id, t.destination, Attempt::unreachable, T0);
    EXPECT_TRUE(s.due(T0 + 10s).empty());
    s.flush(T0 + 10s, "a.test");
    auto tasks = s.due(T0 + 10s);
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].destination, "a.test");
}

TEST(Scheduler, RemovingAnInFlightMessageFreesItsSlot) {
    SchedulePolicy one = quick();
    one.concurrency = 1;
    Scheduler s(one);
    s.add("A", "d.test", T0);
    s.add("B", "d.test", T0);
    ASSERT_EQ(s.due(T0).size(), 1u);
    s.remove("A", "d.test");                          // `queue delete` while it was being delivered
    s.report("A", "d.test", Attempt::delivered, T0);  // the late report is harmless
    auto next = s.due(T0);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].id, "B");
}

TEST(Scheduler, ABigBacklogGoesOutOldestFirstEachEntryOnce) {
    // The orders behind due() (by next attempt, by arrival) must stay in step
    // with the entries through hand-outs, deferrals, warnings and removals.
    Scheduler s(quick());
    std::vector<std::string> ids;
    for (int i = 0; i < 2000; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "ID%05d", i);
        ids.push_back(id);
        // Every third one was deferred before a restart: due a minute later.
        s.add(id, "customer.test", T0 + std::chrono::seconds(i), i % 3 ? Time{} : T0 + 1h + 1min);
    }
    s.remove("ID00001", "customer.test");
    Time now = T0 + 1h;
    std::vector<std::string> order;
    int deferred_once = 0;
    for (int round = 0; round < 10000 && s.size() > 0; ++round) {
        auto tasks = s.due(now);
        EXPECT_LE(of_kind(tasks, TaskKind::deliver).size(), 3u);
        for (const auto& t : of_kind(tasks, TaskKind::deliver)) {
            order.push_back(t.id);
            // One 4xx in the middle: it must come back after its backoff.
            bool defer = t.id == "ID01000" && deferred_once++ == 0;
            s.report(t.id, "customer.test", defer ? Attempt::deferred : Attempt::delivered, now);
        }
        if (tasks.empty()) now = *s.next_wakeup();
    }
    EXPECT_EQ(s.size(), 0u);
    EXPECT_FALSE(s.next_wakeup());
    ASSERT_EQ(order.size(), 2000u);  // 1999 queued, one of them twice
    std::set<std::string> seen(order.begin(), order.end());
    EXPECT_EQ(seen.size(), 1999u);
    EXPECT_FALSE(seen.count("ID00001"));
    // Due now first, in arrival order; then those due at 1h01, then the deferred one.
    std::vector<std::string> expected;
    for (int i = 0; i < 2000; ++i) {
        if (i % 3 && i != 1) expected.push_back(ids[i]);
    }
    for (int i = 0; i < 2000; i += 3) expected.push_back(ids[i]);
    expected.push_back("ID01000");
    auto first_1000 = std::find(order.begin(), order.end(), "ID01000");
    EXPECT_EQ(*std::prev(order.end()), "ID01000");
    EXPECT_NE(first_1000, std::prev(order.end()));
    std::vector<std::string> without_retry(order);
    without_retry.erase(std::find(without_retry.begin(), without_retry.end(), "ID01000"));
    expected.erase(std::find(expected.begin(), expected.end(), "ID01000"));
    EXPECT_EQ(without_retry, expected);
}

// After a restart (issue 18): the destination's down state and next probe,
// and each message's attempt count, come back from the spool. No burst of
// `concurrency` connections to a host known dead, one probe when it is due,
// and a message at 1h backoff stays at 1h, not back to retry_min.
TEST(Scheduler, RestoredDownStateAndAttemptsContinue) {
    Scheduler before(quick());
    for (int i = 0; i < 5; ++i) before.add("m" + std::to_string(i), "dead.test", T0);
    auto first = before.due(T0);
    ASSERT_EQ(first.size(), 3u);
    for (const auto& t : first) before.report(t.id, "dead.test", Attempt::unreachable, T0);
    ASSERT_TRUE(before.is_down("dead.test"));
    ASSERT_EQ(before.down(), (std::vector<Scheduler::Down>{{"dead.test", T0 + 90s}}));
    EXPECT_EQ(before.attempts("m0", "dead.test"), 1u);

    // The restart, 10 s later: the messages come back with their next
    // attempt (already due) and attempts, the destination with its probe time.
    Scheduler after(quick());
    for (const auto& d : before.down()) after.mark_down(d.destination, d.next_probe);
    for (int i = 0; i < 5; ++i) {
        std::string id = "m" + std::to_string(i);
        after.add(id, "dead.test", T0, T0, false, before.attempts(id, "dead.test"));
    }
    EXPECT_TRUE(after.due(T0 + 10s).empty()) << "no burst at start";
    EXPECT_EQ(*after.next_attempt("m4", "dead.test"), T0 + 90s);
    EXPECT_EQ(after.next_probe("dead.test"), T0 + 90s);
    auto probe = after.due(T0 + 90s);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_EQ(probe[0].kind, TaskKind::probe);
    EXPECT_TRUE(after.in_flight(probe[0].id, "dead.test"));
    after.report(probe[0].id, "dead.test", Attempt::unreachable, T0 + 90s);
    EXPECT_EQ(after.attempts(probe[0].id, "dead.test"), 2u);

    // The backoff goes on: a message with 5 temporary failures waits
    // retry_min * 2^5 (capped at 1h), not retry_min.
    Scheduler up(quick());
    up.add("x", "up.test", T0, T0, false, 5);
    auto t = up.due(T0);
    ASSERT_EQ(t.size(), 1u);
    up.report("x", "up.test", Attempt::deferred, T0);
    EXPECT_EQ(*up.next_attempt("x", "up.test"), T0 + 1h);
}

// One message with recipients at two destinations is two independent entries.
TEST(Scheduler, TheSameIdAtTwoDestinationsIsTwoEntries) {
    Scheduler s(quick());
    s.add("A", "up.test", T0);
    s.add("A", "dead.test", T0);
    EXPECT_EQ(s.size(), 2u);
    auto tasks = s.due(T0);
    ASSERT_EQ(tasks.size(), 2u);
    s.report("A", "dead.test", Attempt::unreachable, T0);
    s.report("A", "up.test", Attempt::deferred, T0);
    EXPECT_TRUE(s.is_down("dead.test"));
    EXPECT_FALSE(s.is_down("up.test"));
    EXPECT_EQ(s.next_attempt("A", "up.test"), T0 + 5min);
    EXPECT_EQ(s.next_attempt("A", "dead.test"), T0 + 5min);  // its own backoff, after the probe
    s.remove("A", "up.test");
    EXPECT_EQ(s.size(), 1u);
    EXPECT_EQ(s.attempts("A", "dead.test"), 1u);
    auto probe = s.due(T0 + 90s);
    ASSERT_EQ(probe, (std::vector<Task>{{TaskKind::probe, "A", "dead.test"}}));
}

// A report about an id the scheduler does not know (removed, or never
// added) still tells about the destination, and adds nothing.
TEST(Scheduler, AReportOfAnUnknownIdOnlyTellsAboutTheDestination) {
    Scheduler s(quick());
    s.report("X", "nowhere.test", Attempt::delivered, T0);  // no such destination: nothing
    EXPECT_EQ(s.size(), 0u);
    EXPECT_FALSE(s.next_wakeup());

    s.add("A", "d.test", T0);
    s.mark_down("d.test", T0 + 1h);
    s.report("X", "d.test", Attempt::delivered, T0 + 1s);  // it answered: back up
    EXPECT_FALSE(s.is_down("d.test"));
    EXPECT_EQ(s.size(), 1u);
    EXPECT_EQ(s.attempts("X", "d.test"), 0u);
    EXPECT_EQ(s.due(T0 + 1s), (std::vector<Task>{{TaskKind::deliver, "A", "d.test"}}));
    s.report("Y", "d.test", Attempt::unreachable, T0 + 2s);
    EXPECT_TRUE(s.is_down("d.test"));
    EXPECT_EQ(s.next_probe("d.test"), T0 + 2s + 90s);
}

// `queue delete` of the message whose attempt is the probe: the late report
// is not taken for the probe's, and the next probe goes out when due.
TEST(Scheduler, RemovingTheProbeInFlightLetsTheNextProbeGo) {
    Scheduler s(quick());
    s.add("A", "d.test", T0);
    s.add("B", "d.test", T0 + 1s);
    s.mark_down("d.test", T0 + 90s);
    auto probe = s.due(T0 + 90s);
    ASSERT_EQ(probe, (std::vector<Task>{{TaskKind::probe, "A", "d.test"}}));
    s.remove("A", "d.test");
    EXPECT_FALSE(s.in_flight("A", "d.test"));
    s.report("A", "d.test", Attempt::unreachable, T0 + 100s);  // too late: not the probe any more
    EXPECT_EQ(s.next_probe("d.test"), T0 + 90s);
    EXPECT_EQ(s.due(T0 + 100s), (std::vector<Task>{{TaskKind::probe, "B", "d.test"}}));
    EXPECT_EQ(s.size(), 1u);
}

// Ids longer than a queue id's 15 characters work the same (stored apart).
TEST(Scheduler, LongIdsWorkToo) {
    Scheduler s(quick());
    const std::string long_id = "not-a-queue-id-but-a-much-longer-one";
    s.add(long_id, "d.test", T0);
    s.add("0123456789ABCDE", "d.test", T0 + 1s);
    auto tasks = s.due(T0);
    ASSERT_EQ(tasks.size(), 2u);
    EXPECT_EQ(tasks[0].id, long_id);
    s.report(long_id, "d.test", Attempt::deferred, T0);
    EXPECT_EQ(s.attempts(long_id, "d.test"), 1u);
    s.remove(long_id, "d.test");
    EXPECT_EQ(s.size(), 1u);
}

// When a destination comes back its backlog goes out oldest arrival first,
// whatever the ids or the messages' own next attempts were.
TEST(Scheduler, BackUpTheOldestArrivalGoesFirst) {
    SchedulePolicy one = quick();
    one.concurrency = 1;
    Scheduler s(one);
    s.add("Z", "d.test", T0, T0 + 10min);
    s.add("B", "d.test", T0 + 2s, T0 + 1min);
    s.add("A", "d.test", T0 + 3s);
    s.add("Y", "d.test", T0 + 1s, T0 + 20min);
    s.mark_down("d.test", T0 + 5s);
    auto probe = s.due(T0 + 5s);
    ASSERT_EQ(probe, (std::vector<Task>{{TaskKind::probe, "Z", "d.test"}}));
    s.report("Z", "d.test", Attempt::delivered, T0 + 6s);
    std::string order;
    for (int i = 0; i < 3; ++i) {
        auto tasks = s.due(T0 + 6s);
        ASSERT_EQ(tasks.size(), 1u);
        order += tasks[0].id;
        s.report(tasks[0].id, "d.test", Attempt::delivered, T0 + 6s);
    }
    EXPECT_EQ(order, "YBA");
    EXPECT_EQ(s.size(), 0u);
}

// A few messages deferred again and again (a mailbox full for days): the
// orders' stale marks are dropped as they go, and the one that is due next
// is always the right one.
TEST(Scheduler, ManyDeferralsKeepTheOrdersRight) {
    SchedulePolicy p = quick();
    p.retry_min = 1s;
    p.retry_max = 1s;
    p.lifetime = 24h * 365;
    p.delay_warning = Seconds(0);
    Scheduler s(p);
    for (auto id : {"A", "B", "C", "D"}) s.add(id, "d.test", T0);
    Time now = T0;
    std::map<std::string, int> tries;
    for (int round = 0; round < 20000; ++round) {
        auto tasks = s.due(now);
        EXPECT_LE(tasks.size(), 3u);
        for (const auto& t : tasks) {
            ++tries[t.id];
            EXPECT_EQ(t.kind, TaskKind::deliver);
            s.report(t.id, t.destination, Attempt::deferred, now);
        }
        now += 1s;
    }
    EXPECT_EQ(s.size(), 4u);
    // Four messages, three slots, a retry a second after each try: each gets
    // its turn, none starves.
    for (const auto& [id, n] : tries) {
        EXPECT_GT(n, 20000 * 3 / 4 / 2) << id;
    }
    EXPECT_EQ(s.attempts("A", "d.test"), static_cast<unsigned>(tries["A"]));
}
