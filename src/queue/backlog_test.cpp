// The scheduler's compact storage: ids, the id index, and the lazily
// deleted orders of one destination's backlog.
#include "queue/backlog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "queue/compact_id.hpp"
#include "queue/slot_index.hpp"

using namespace holdfast::queue;
using namespace std::chrono_literals;
using Slot = Backlog::Slot;

namespace {

const Backlog::Time T0 = std::chrono::system_clock::from_time_t(1'800'000'000);

}  // namespace

TEST(CompactId, KeepsShortQueueAndLongIds) {
    for (std::string id :
         std::vector<std::string>{"", "A", "0123456789ABCDE", std::string("a\0b", 3),
                                  "a-much-longer-id-than-a-queue-id@example.test"}) {
        CompactId c(id);
        EXPECT_EQ(c.view(), id);
        CompactId moved(std::move(c));
        EXPECT_EQ(moved.view(), id);
        CompactId assigned;
        assigned = std::move(moved);
        EXPECT_EQ(assigned.view(), id);
    }
}

TEST(SlotIndex, AgreesWithAMapThroughInsertsAndErases) {
    std::vector<std::string> ids(5000);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = "id" + std::to_string(i * 7919 % 5000);
    auto id_of = [&](Slot s) { return std::string_view(ids[s]); };
    SlotIndex index;
    std::map<std::string, Slot> model;
    std::mt19937 rng(7);
    for (int round = 0; round < 40000; ++round) {
        Slot s = rng() % ids.size();
        if (model.count(ids[s])) {
            index.erase(ids[s], id_of);
            model.erase(ids[s]);
        } else {
            index.insert(ids[s], s, id_of);
            model[ids[s]] = s;
        }
        if (round % 997 == 0 || round == 39999) {
            for (Slot t = 0; t < ids.size(); ++t) {
                auto it = model.find(ids[t]);
                ASSERT_EQ(index.find(ids[t], id_of), it == model.end() ? SlotIndex::none : t);
            }
        }
    }
    EXPECT_EQ(index.size(), model.size());
}

// The orders against a brute-force model: after any sequence of changes the
// earliest next attempt, oldest and oldest unwarned idle entries are the
// ones a walk over every entry would find (ties: any of the tied ones).
TEST(Backlog, OrdersAgreeWithAWalkOverEveryEntry) {
    struct Model {
        Backlog::Time arrival, next;
        bool in_flight = false, warned = false;
    };
    Backlog b(/*stamp_limit=*/5000);  // low enough to run out of stamps a few times
    std::map<std::string, Model> model;
    std::mt19937 rng(11);
    auto some_id = [&] { return "m" + std::to_string(rng() % 300); };
    auto some_time = [&] { return T0 + std::chrono::seconds(rng() % 50); };
    for (int round = 0; round < 30000; ++round) {
        std::string id = some_id();
        Slot s = b.find(id);
        ASSERT_EQ(s == Backlog::none, model.count(id) == 0);
        switch (rng() % 7) {
            case 0:
            case 1: {
                Backlog::Time arrival = some_time(), next = some_time();
                bool warned = rng() % 4 == 0;
                b.put(id, arrival, next, warned, 0);
                Model& m = model[id];
                m.arrival = arrival;
                m.next = next;
                m.warned = warned;
                break;
            }
            case 2:
                if (s != Backlog::none) {
                    b.erase(s);
                    model.erase(id);
                }
                break;
            case 3:
                if (s != Backlog::none && !model[id].in_flight) {
                    b.take_off(s);
                    model[id].in_flight = true;
                }
                break;
            case 4:
                if (s != Backlog::none) {
                    Backlog::Time next = some_time();
                    b.retry(s, next);
                    model[id].next = next;
                    model[id].in_flight = false;
                }
                break;
            case 5:
                if (s != Backlog::none && !model[id].in_flight && !model[id].warned) {
                    b.mark_warned(s);
                    model[id].warned = true;
                }
                break;
            case 6:
                if (rng() % 50 == 0) {
                    b.all_due(T0 + 25s);
                    for (auto& [_, m] : model) m.next = T0 + 25s;
                }
                break;
        }
        std::optional<Backlog::Time> next, oldest, unwarned;
        std::size_t in_flight = 0;
        for (const auto& [_, m] : model) {
            if (m.in_flight) {
                ++in_flight;
                continue;
            }
            if (!next || m.next < *next) next = m.next;
            if (!oldest || m.arrival < *oldest) oldest = m.arrival;
            if (!m.warned && (!unwarned || m.arrival < *unwarned)) unwarned = m.arrival;
        }
        ASSERT_EQ(b.size(), model.size());
        ASSERT_EQ(b.in_flight(), in_flight);
        ASSERT_EQ(b.next_due() == Backlog::none, !next);
        if (next) {
            ASSERT_EQ(b.next(b.next_due()), *next) << "round " << round;
        }
        if (oldest) {
            ASSERT_EQ(b.arrival(b.oldest()), *oldest) << "round " << round;
        }
        ASSERT_EQ(b.oldest_unwarned() == Backlog::none, !unwarned);
        if (unwarned) {
            ASSERT_EQ(b.arrival(b.oldest_unwarned()), *unwarned);
            ASSERT_FALSE(b.warned(b.oldest_unwarned()));
        }
        // Lazy deletion stays bounded: at most about twice the idle entries.
        ASSERT_LE(b.marks(), 2 * (2 * (b.size() - b.in_flight()) + 64));
    }
}

// An entry deferred over and over leaves a stale mark in each order every
// time; the heaps are rebuilt before the stale marks outnumber the live ones.
TEST(Backlog, StaleMarksAreDroppedWhenTheyOutnumberLiveOnes) {
    Backlog b;
    for (int i = 0; i < 10; ++i) b.put("m" + std::to_string(i), T0, T0, false, 0);
    Slot s = b.find("m9");
    for (int i = 0; i < 100000; ++i) {
        b.take_off(s);
        b.retry(s, T0 + std::chrono::seconds(i));
    }
    EXPECT_LE(b.marks(), 3 * (2 * 10 + 64));
    EXPECT_EQ(b.attempts(s), Backlog::max_attempts);  // saturated, not wrapped
    EXPECT_EQ(b.id(b.next_due()), "m0");              // ties: idle the longest
    EXPECT_EQ(b.arrival(b.oldest()), T0);
}

// Ties go to the entry idle for longer, and keep doing so when the stamps
// run out and everything is stamped again.
TEST(Backlog, TiesKeepTheirOrderWhenStampsRunOut) {
    Backlog b(/*stamp_limit=*/20);
    b.put("later", T0, T0 + 1h, false, 0);  // keeps the backlog (and its stamps) going
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 8; ++i) b.put("m" + std::to_string(i), T0, T0, false, 0);
        std::vector<std::string> order;
        for (Slot s; (s = b.next_due()) != Backlog::none && b.next(s) == T0;) {
            order.push_back(std::string(b.id(s)));
            b.take_off(s);
        }
        EXPECT_EQ(order,
                  (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"}));
        for (int i = 0; i < 8; ++i) b.erase(b.find("m" + std::to_string(i)));
    }
    EXPECT_EQ(b.size(), 1u);
    EXPECT_EQ(b.id(b.next_due()), "later");
    b.erase(b.find("later"));
    EXPECT_EQ(b.marks(), 0u);
    EXPECT_EQ(b.footprint(), 0u);  // an empty backlog gives everything back
}

// After all_due the ties are broken by arrival, whatever the ids say.
TEST(Backlog, AllDueHandsOutByArrival) {
    Backlog b;
    b.put("C", T0 + 1s, T0 + 1h, false, 0);
    b.put("A", T0 + 3s, T0, false, 0);
    b.put("B", T0 + 2s, T0 + 2h, true, 0);
    b.all_due(T0 + 5s);
    std::string order;
    for (Slot s; (s = b.next_due()) != Backlog::none;) {
        EXPECT_EQ(b.next(s), T0 + 5s);
        order += b.id(s);
        b.take_off(s);
    }
    EXPECT_EQ(order, "CBA");
}

// Freed slots are used again, and a reused slot is a new entry to the orders.
TEST(Backlog, ReusedSlotsCarryNothingOver) {
    Backlog b;
    Slot a = b.put("A", T0, T0, true, 3);
    b.put("keep", T0 + 1h, T0 + 1h, false, 0);
    b.erase(a);
    Slot c = b.put("C", T0 + 2h, T0 + 2h, false, 0);
    EXPECT_EQ(c, a);
    EXPECT_EQ(b.attempts(c), 0u);
    EXPECT_FALSE(b.warned(c));
    EXPECT_EQ(b.id(b.next_due()), "keep");
    EXPECT_EQ(b.id(b.oldest()), "keep");
    EXPECT_EQ(b.find("A"), Backlog::none);
}
