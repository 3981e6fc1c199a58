#include "queue/spool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>

#include "mail/queue_id.hpp"
#include "queue/record.hpp"
#include "queue/test_dir.hpp"

using namespace holdfast::queue;
using holdfast::queue::testing::TestDir;
namespace fs = std::filesystem;

namespace {

Envelope envelope(std::vector<std::string> rcpts = {"alice@example.test"}) {
    Envelope e;
    e.id = holdfast::mail::new_queue_id();
    e.sender = "bob@example.org";
    for (auto& r : rcpts) e.recipients.push_back({r, RecipientKind::local, {}, {}, {}, {}});
    e.arrival = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    e.client = "helo.example [127.0.0.2]";
    return e;
}

std::unique_ptr<Spool> open_ok(const fs::path& dir) {
    std::error_code ec;
    auto s = Spool::open(dir, ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
}

// Stores and waits for the durable acknowledgement.
std::error_code store_sync(Spool& s, Envelope env, std::string msg) {
    std::promise<std::error_code> p;
    s.store(std::move(env), std::move(msg), [&](std::error_code ec) { p.set_value(ec); });
    return p.get_future().get();
}

std::size_t count(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

void write(const fs::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
}

}  // namespace

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
    EXPECT_EQ(count(dir.path() / "tmp"), 0u);
}

TEST(Spool, RecoveryDiscardsTemporaryAndTornFiles) {
    TestDir dir;
    Envelope kept = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, kept, "hello\r\n"));
    }
    // A crash mid-write leaves a partial file in tmp/ ...
    write(dir.path() / "tmp" / holdfast::mail::new_queue_id(), "HOLDFAST-QUEUE 1\n{\"id\"");
    // ... and a torn file in msg/ (storage that lied) is shorter than its header says.
    Envelope torn = envelope();
    torn.size = 1000;
    write(dir.path() / "msg" / torn.id, record::encode_header(torn) + "only part");

    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().discarded_tmp, 1u);
    EXPECT_EQ(s->recovery().corrupt, 1u);
    ASSERT_EQ(s->list().size(), 1u);
    EXPECT_EQ(s->list()[0].id, kept.id);
    EXPECT_FALSE(s->get(torn.id));
    EXPECT_EQ(count(dir.path() / "tmp"), 0u);
    EXPECT_TRUE(fs::exists(dir.path() / "corrupt" / torn.id));
}

TEST(Spool, CorruptFilesAreSetAsideNotFatal) {
    TestDir dir;
    fs::create_directories(dir.path() / "msg");
    std::string a = holdfast::mail::new_queue_id(), b = holdfast::mail::new_queue_id();
    write(dir.path() / "msg" / a, "HOLDFAST-QUEUE 1\n{not json}\nbody");
    write(dir.path() / "msg" / b, "HOLDFAST-QUEUE 9\n{}\n");
    write(dir.path() / "msg" / "README", "not a message");
    Envelope wrong = envelope();
    wrong.size = 0;
    write(dir.path() / "msg" / holdfast::mail::new_queue_id(), record::encode_header(wrong));

    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().corrupt, 4u);
    EXPECT_TRUE(s->list().empty());
    EXPECT_EQ(count(dir.path() / "corrupt"), 4u);
    EXPECT_EQ(count(dir.path() / "msg"), 0u);
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
    EXPECT_EQ(count(dir.path() / "state"), 0u);
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

TEST(Spool, StateFilesWithoutMessageOrForOtherRecipientsAreHandled) {
    TestDir dir;
    Envelope e = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, e, "m\r\n"));
    }
    Envelope other = envelope({"x@example.test", "y@example.test"});
    write(dir.path() / "state" / other.id, record::encode_state(other));  // orphan
    Envelope mismatch = e;
    mismatch.recipients[0].address = "mallory@example.test";
    write(dir.path() / "state" / e.id, record::encode_state(mismatch));
    auto s = open_ok(dir.path());
    ASSERT_TRUE(s->get(e.id));
    EXPECT_EQ(s->get(e.id)->recipients[0].address, "alice@example.test");
    EXPECT_EQ(s->recovery().corrupt, 1u);
    EXPECT_EQ(count(dir.path() / "state"), 0u);
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
        s->set_on_stored([&](const std::string&) { ++stored_calls; });
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
