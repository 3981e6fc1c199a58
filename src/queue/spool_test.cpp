#include "queue/spool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "mail/queue_id.hpp"
#include "queue/record.hpp"
#include "queue/segment.hpp"
#include "queue/spool_test_helpers.hpp"
#include "queue/test_dir.hpp"

using namespace holdfast::queue;
using namespace holdfast::queue::testing;
namespace fs = std::filesystem;

TEST(Spool, StoreThenReopenKeepsEnvelopesAndBytes) {
    TestDir dir;
    std::vector<Envelope> stored;
    std::vector<std::string> bodies = {"Subject: a\r\n\r\nx\r\n", "", std::string(200000, 'z')};
    {
        auto s = open_ok(dir.path());
        for (auto& b : bodies) {
            Envelope e = envelope({"alice@example.test", "carol@customer.test"});
            e.recipients[1].kind = RecipientKind::backup;
            ASSERT_FALSE(store_sync(*s, e, b));
            e.size = b.size();
            stored.push_back(e);
            ASSERT_TRUE(s->get(e.id));
            EXPECT_EQ(*s->get(e.id), e);
        }
        EXPECT_EQ(s->list().size(), 3u);
    }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().loaded, 3u);
    std::vector<Envelope> listed = s->list();
    ASSERT_EQ(listed.size(), 3u);
    for (std::size_t i = 0; i < stored.size(); ++i) {
        auto got = s->get(stored[i].id);
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, stored[i]);
        std::string body;
        ASSERT_FALSE(s->read_message(stored[i].id, body));
        EXPECT_EQ(body, bodies[i]);
    }
    EXPECT_EQ(s->recovery().segments, 1u);
    EXPECT_EQ(s->recovery().torn, 0u);
}

TEST(Spool, UpdateRecipientsIsDurableAndRemovesWhenDone) {
    TestDir dir;
    Envelope e = envelope({"alice@example.test", "bob@example.test"});
    auto next = std::chrono::system_clock::time_point(std::chrono::seconds(1700000030));
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, e, "m\r\n"));
        auto r = s->get(e.id)->recipients;
        r[0].state = RecipientState::delivered;
        r[1].last_error = "maildir: Permission denied";
        ASSERT_FALSE(s->update_recipients(e.id, r, next));
        auto bad = r;
        bad[1].address = "mallory@example.test";
        EXPECT_EQ(s->update_recipients(e.id, bad), Errc::recipients_mismatch);
        EXPECT_EQ(s->update_recipients("0000000000000000", r), Errc::no_such_message);
    }
    {
        auto s = open_ok(dir.path());
        auto got = s->get(e.id);
        ASSERT_TRUE(got);
        EXPECT_EQ(got->recipients[0].state, RecipientState::delivered);
        EXPECT_EQ(got->recipients[1].state, RecipientState::pending);
        EXPECT_EQ(got->recipients[1].last_error, "maildir: Permission denied");
        EXPECT_EQ(got->next_attempt, next);
        auto r = got->recipients;
        r[1].state = RecipientState::failed;
        ASSERT_FALSE(s->update_recipients(e.id, r));
        EXPECT_FALSE(s->get(e.id));
    }
    auto s = open_ok(dir.path());
    EXPECT_TRUE(s->list().empty());
    // Nothing refers to the old segments any more: they are gone.
    EXPECT_EQ(count(dir.path() / "log"), 0u);
}

TEST(Spool, ModifyStateIsDurableAndChangesOnlyTheMutablePart) {
    TestDir dir;
    Envelope e = envelope({"alice@example.test", "bob@example.test"});
    e.envid = "ENV-1";
    e.recipients[1].orcpt = "rfc822;bob@example.test";
    e.recipients[1].notify = holdfast::mail::DsnNotify::never();
    auto next = std::chrono::system_clock::time_point(std::chrono::seconds(1700000060));
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, e, "m\r\n"));
        EXPECT_FALSE(s->get(e.id)->warned);
        EXPECT_FALSE(s->get(e.id)->held);
        ASSERT_FALSE(s->modify_state(e.id, [&](Envelope& env) {
            env.warned = true;
            env.held = true;
            env.next_attempt = next;
            env.recipients[0].state = RecipientState::delivered;
            env.recipients[1].last_error = "451 4.4.1 later";
            env.sender = "mallory@example.test";  // immutable: ignored
            env.envid = "changed";
            env.recipients[1].orcpt = "changed";
        }));
        auto got = s->get(e.id);
        ASSERT_TRUE(got);
        EXPECT_TRUE(got->warned);
        EXPECT_TRUE(got->held);
        EXPECT_EQ(got->sender, e.sender);
        EXPECT_EQ(got->envid, "ENV-1");
        EXPECT_EQ(got->recipients[1].orcpt, "rfc822;bob@example.test");
        EXPECT_EQ(s->modify_state(e.id, [](Envelope& env) { env.recipients.pop_back(); }),
                  Errc::recipients_mismatch);
        EXPECT_EQ(s->modify_state(
                      e.id, [](Envelope& env) { std::swap(env.recipients[0], env.recipients[1]); }),
                  Errc::recipients_mismatch);
        EXPECT_EQ(s->modify_state("0000000000000000", [](Envelope&) {}), Errc::no_such_message);
    }
    {
        auto s = open_ok(dir.path());
        auto got = s->get(e.id);
        ASSERT_TRUE(got);
        EXPECT_TRUE(got->warned);
        EXPECT_TRUE(got->held);
        EXPECT_EQ(got->next_attempt, next);
        EXPECT_EQ(got->recipients[0].state, RecipientState::delivered);
        EXPECT_EQ(got->recipients[1].last_error, "451 4.4.1 later");
        EXPECT_EQ(got->envid, "ENV-1");
        EXPECT_EQ(got->recipients[1].notify, holdfast::mail::DsnNotify::never());
        EXPECT_EQ(got->recipients[1].orcpt, "rfc822;bob@example.test");
        // Released again, and modify_recipients keeps the flags it does not see.
        ASSERT_FALSE(s->modify_state(e.id, [](Envelope& env) { env.held = false; }));
        ASSERT_FALSE(s->modify_recipients(
            e.id, [](std::vector<Recipient>& r, std::chrono::system_clock::time_point&) {
                r[1].last_error = "451 again";
            }));
    }
    auto s = open_ok(dir.path());
    auto got = s->get(e.id);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->held);
    EXPECT_TRUE(got->warned);
    EXPECT_EQ(got->recipients[1].last_error, "451 again");
}

TEST(Spool, ImportsAVersionOneSpool) {
    TestDir dir;
    for (const char* sub : {"tmp", "msg", "state"}) fs::create_directories(dir.path() / sub);
    auto v1 = [&](Envelope e, const std::string& body) {
        e.size = body.size();
        write(dir.path() / "msg" / e.id, record::encode_header(e) + body);
        return e;
    };
    Envelope plain = v1(envelope(), "plain\r\n");
    Envelope with_state = v1(envelope({"a@example.test", "b@example.test"}), "state\r\n");
    Envelope st = with_state;
    st.recipients[0].state = RecipientState::delivered;
    st.held = true;
    st.next_attempt = std::chrono::system_clock::time_point(std::chrono::seconds(1700000090));
    write(dir.path() / "state" / with_state.id, record::encode_state(st));
    Envelope bad_state = v1(envelope(), "bad state\r\n");
    Envelope mismatch = bad_state;
    mismatch.recipients[0].address = "mallory@example.test";
    write(dir.path() / "state" / bad_state.id, record::encode_state(mismatch));
    Envelope done = v1(envelope(), "done\r\n");
    Envelope done_state = done;
    done_state.recipients[0].state = RecipientState::delivered;
    write(dir.path() / "state" / done.id, record::encode_state(done_state));
    write(dir.path() / "state" / envelope().id, record::encode_state(envelope()));  // orphan
    Envelope torn = envelope();
    torn.size = 1000;
    write(dir.path() / "msg" / torn.id, record::encode_header(torn) + "only part");
    write(dir.path() / "tmp" / envelope().id, "HOLDFAST-QUEUE 1\n{\"id\"");

    for (int run = 0; run < 2; ++run) {
        auto s = open_ok(dir.path());
        EXPECT_EQ(s->recovery().imported, run == 0 ? 3u : 0u);
        ASSERT_EQ(s->list().size(), 3u);
        EXPECT_EQ(*s->get(plain.id), plain);
        EXPECT_EQ(*s->get(with_state.id), st);
        EXPECT_EQ(*s->get(bad_state.id), bad_state);  // the unreadable state is ignored
        EXPECT_FALSE(s->get(done.id));
        EXPECT_FALSE(s->get(torn.id));
        std::string body;
        ASSERT_FALSE(s->read_message(with_state.id, body));
        EXPECT_EQ(body, "state\r\n");
        if (run == 0) {
            EXPECT_EQ(s->recovery().corrupt, 2u);  // torn message, bad state
        }
        for (const char* sub : {"tmp", "msg", "state"}) {
            EXPECT_FALSE(fs::exists(dir.path() / sub)) << sub;
        }
    }
}

TEST(Spool, RemoveDeletesAndReportsUnknownIds) {
    TestDir dir;
    Envelope e = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, e, "m\r\n"));
        ASSERT_FALSE(s->remove(e.id));
        EXPECT_FALSE(s->get(e.id));
        std::string body;
        EXPECT_EQ(s->read_message(e.id, body), Errc::no_such_message);
        EXPECT_EQ(s->remove(e.id), Errc::no_such_message);
        EXPECT_EQ(s->remove("../../etc/passwd"), Errc::no_such_message);
    }
    auto s = open_ok(dir.path());
    EXPECT_TRUE(s->list().empty());
}

TEST(Spool, ConcurrentStoresAllCompleteAndSurviveReopen) {
    TestDir dir;
    constexpr int kThreads = 8, kEach = 40;
    std::vector<std::string> ids[kThreads];
    std::atomic<int> stored_calls{0};
    {
        auto s = open_ok(dir.path());
        s->set_on_stored([&](const Envelope&) { ++stored_calls; });
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kEach; ++i) {
                    Envelope e = envelope();
                    ids[t].push_back(e.id);
                    EXPECT_FALSE(store_sync(*s, e, "message " + e.id + "\r\n"));
                }
            });
        }
        for (auto& th : threads) th.join();
        EXPECT_EQ(s->list().size(), std::size_t{kThreads * kEach});
    }
    EXPECT_EQ(stored_calls.load(), kThreads * kEach);
    auto s = open_ok(dir.path());
    ASSERT_EQ(s->list().size(), std::size_t{kThreads * kEach});
    for (auto& v : ids) {
        for (auto& id : v) {
            std::string body;
            ASSERT_FALSE(s->read_message(id, body));
            EXPECT_EQ(body, "message " + id + "\r\n");
        }
    }
}

TEST(Spool, RefusesBadIdsAndASecondOwner) {
    TestDir dir;
    auto s = open_ok(dir.path());
    Envelope e = envelope();
    e.id = "../escape";
    EXPECT_EQ(store_sync(*s, e, "m"), Errc::bad_queue_id);
    Envelope dup = envelope();
    ASSERT_FALSE(store_sync(*s, dup, "m"));
    EXPECT_EQ(store_sync(*s, dup, "m"), Errc::duplicate_id);
    std::error_code ec;
    EXPECT_FALSE(Spool::open(dir.path(), ec));
    EXPECT_EQ(ec, Errc::spool_locked);
}

TEST(Spool, TheIndexShowsPendingDestinationsWithoutTheEnvelope) {
    TestDir dir;
    Envelope e = envelope({"c@local.test", "a@One.TEST.", "b@two.test", "d@two.test"});
    e.recipients[1].kind = RecipientKind::relay;
    e.recipients[2].kind = e.recipients[3].kind = RecipientKind::backup;
    auto pending = [](const Spool& s) {
        std::vector<std::pair<std::string, RecipientKind>> out;
        s.for_each([&](const QueuedMessage& m) {
            for (const auto& p : m.pending) out.emplace_back(p.domain, p.kind);
        });
        return out;
    };
    using P = std::vector<std::pair<std::string, RecipientKind>>;
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, e, "m\r\n"));
        EXPECT_EQ(pending(*s), (P{{"local.test", RecipientKind::local},
                                  {"one.test", RecipientKind::relay},
                                  {"two.test", RecipientKind::backup}}));
        ASSERT_FALSE(s->modify_state(e.id, [](Envelope& env) {
            env.recipients[0].state = RecipientState::delivered;
            env.recipients[2].state = RecipientState::failed;  // d@two.test still waits
            env.held = true;
            env.attempts = 3;
        }));
        EXPECT_EQ(pending(*s),
                  (P{{"one.test", RecipientKind::relay}, {"two.test", RecipientKind::backup}}));
    }
    // Recovery builds the same from the S record, without keeping the envelope.
    auto s = open_ok(dir.path());
    EXPECT_EQ(pending(*s),
              (P{{"one.test", RecipientKind::relay}, {"two.test", RecipientKind::backup}}));
    s->for_each([&](const QueuedMessage& m) {
        EXPECT_EQ(m.id, e.id);
        EXPECT_TRUE(m.held);
        EXPECT_EQ(m.attempts, 3u);
        EXPECT_EQ(m.size, 3u);
        EXPECT_EQ(m.arrival, e.arrival);
        EXPECT_TRUE(m.waits_for("two.test"));
        EXPECT_FALSE(m.waits_for("local.test"));
        EXPECT_FALSE(m.has_pending(RecipientKind::local));
        EXPECT_TRUE(m.has_pending_remote());
    });
    ASSERT_FALSE(s->modify_state(e.id, [](Envelope& env) {
        env.recipients[1].state = RecipientState::delivered;
        env.recipients[3].state = RecipientState::delivered;
    }));
    EXPECT_TRUE(pending(*s).empty());  // done: gone from the index
    EXPECT_FALSE(s->get(e.id));
}

// Envelopes of recovered messages are read from the log; one changed while
// another thread reads it is never seen going back to an older state.
TEST(Spool, ReadsFromTheLogNeverGoBackInTime) {
    TestDir dir;
    std::vector<std::string> ids;
    {
        auto s = open_ok(dir.path());
        for (int i = 0; i < 20; ++i) {
            Envelope e = envelope({"a@example.test", "b@example.test"});
            ids.push_back(e.id);
            ASSERT_FALSE(store_sync(*s, e, "m\r\n"));
        }
    }
    auto s = open_ok(dir.path());
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int round = 1; round <= 30; ++round) {
            for (const auto& id : ids) {
                EXPECT_FALSE(s->modify_state(id, [&](Envelope& env) {
                    env.recipients[1].last_error = std::to_string(round);
                    env.attempts = static_cast<unsigned>(round);
                }));
            }
        }
        done = true;
    });
    std::map<std::string, unsigned> seen;
    while (!done) {
        for (const auto& id : ids) {
            auto env = s->get(id);
            ASSERT_TRUE(env);
            EXPECT_GE(env->attempts, seen[id]) << id;
            EXPECT_EQ(env->recipients[1].last_error,
                      env->attempts ? std::to_string(env->attempts) : "");
            seen[id] = env->attempts;
        }
    }
    writer.join();
    for (const auto& id : ids) EXPECT_EQ(s->get(id)->attempts, 30u);
}

// More messages than the spool keeps envelopes of in memory: the older ones
// are read back from the log, the same as stored.
TEST(Spool, EnvelopesPastTheRecentOnesAreReadFromTheLog) {
    TestDir dir;
    auto s = open_ok(dir.path());
    constexpr int kMessages = 5000;  // Spool keeps 4,096
    std::vector<Envelope> stored;
    std::vector<std::promise<std::error_code>> done(kMessages);
    for (int i = 0; i < kMessages; ++i) {
        Envelope e = envelope({"a" + std::to_string(i) + "@example.test"});
        e.sender = "s" + std::to_string(i) + "@example.org";
        stored.push_back(e);
        s->store(e, "message " + std::to_string(i) + "\r\n",
                 [&done, i](std::error_code ec) { done[i].set_value(ec); });
    }
    for (auto& d : done) ASSERT_FALSE(d.get_future().get());
    for (int i = 0; i < kMessages; i += 7) {
        auto got = s->get(stored[i].id);
        ASSERT_TRUE(got) << i;
        Envelope want = stored[i];
        want.size = got->size;
        EXPECT_EQ(*got, want) << i;
        std::string bytes;
        ASSERT_FALSE(s->read_message(stored[i].id, bytes));
        EXPECT_EQ(bytes, "message " + std::to_string(i) + "\r\n");
    }
    // A walk shows each once, in id order, across its rounds.
    std::vector<std::string> walked;
    s->for_each([&](const QueuedMessage& m) { walked.emplace_back(m.id); });
    std::vector<std::string> ids;
    for (const auto& e : stored) ids.push_back(e.id);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(walked, ids);
    // A change to one read from the log is what the next read sees.
    ASSERT_FALSE(s->modify_state(stored[0].id, [](Envelope& env) { env.attempts = 2; }));
    EXPECT_EQ(s->get(stored[0].id)->attempts, 2u);
    EXPECT_EQ(s->size(), static_cast<std::size_t>(kMessages));
}
