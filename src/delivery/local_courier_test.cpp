#include "delivery/local_courier.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <mutex>

#include "mail/queue_id.hpp"
#include "queue/test_dir.hpp"
#include "smtp/client/test_peer.hpp"

using namespace holdfast;
using namespace holdfast::delivery;
using queue::RecipientKind;
using queue::RecipientState;
using queue::testing::TestDir;
namespace fs = std::filesystem;

namespace {

struct Fixture {
    TestDir dir;
    std::unique_ptr<queue::Spool> spool;
    std::vector<config::LocalDomain> domains;

    Fixture() {
        std::error_code ec;
        spool = queue::Spool::open(dir.path() / "spool", ec);
        EXPECT_FALSE(ec);
        config::LocalDomain d;
        d.domain = "example.test";
        d.maildir = (dir.path() / "mail" / "%d" / "%u").string();
        d.recipients = {"alice", "bob"};
        domains.push_back(d);
        config::LocalDomain l;
        l.domain = "lmtp.test";
        l.lmtp = "127.0.0.1:1";  // nothing listens there
        l.recipients = {"carol"};
        domains.push_back(l);
    }

    std::string store(std::vector<std::pair<std::string, RecipientKind>> rcpts) {
        queue::Envelope e;
        e.id = mail::new_queue_id();
        e.sender = "sender@example.org";
        e.arrival = std::chrono::system_clock::now();
        for (auto& [a, k] : rcpts)
            e.recipients.push_back({a, k, RecipientState::pending, "", {}, {}});
        std::promise<std::error_code> p;
        spool->store(e, "Subject: t\r\n\r\nhi\r\n", [&](std::error_code ec) { p.set_value(ec); });
        EXPECT_FALSE(p.get_future().get());
        return e.id;
    }

    std::size_t in_new(const std::string& user) const {
        fs::path p = dir.path() / "mail" / "example.test" / user / "new";
        if (!fs::exists(p)) return 0;
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(p), {}));
    }
};

// Polls until pred holds (the courier works on its own thread).
template <typename Pred>
bool eventually(Pred pred) {
    for (int i = 0; i < 500; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

}  // namespace

TEST(LocalCourier, DeliversLocalRecipientsAndLeavesOthersQueued) {
    Fixture f;
    LocalCourier courier(*f.spool, f.domains);
    f.spool->set_on_stored([&](const queue::Envelope& env) { courier.enqueue(env); });
    courier.start();
    std::string only_local = f.store({{"alice@example.test", RecipientKind::local},
                                      {"Postmaster@Example.TEST", RecipientKind::local}});
    std::string mixed = f.store(
        {{"bob@example.test", RecipientKind::local}, {"x@customer.test", RecipientKind::backup}});
    ASSERT_TRUE(eventually([&] { return !f.spool->get(only_local); }));
    ASSERT_TRUE(eventually([&] {
        auto e = f.spool->get(mixed);
        return e && e->recipients[0].state == RecipientState::delivered;
    }));
    EXPECT_EQ(f.in_new("alice"), 1u);
    EXPECT_EQ(f.in_new("postmaster"), 1u);
    EXPECT_EQ(f.in_new("bob"), 1u);
    EXPECT_EQ(f.spool->get(mixed)->recipients[1].state, RecipientState::pending);
}

TEST(LocalCourier, UnknownUsersFailAndAnUnreachableLmtpStoreDefers) {
    Fixture f;
    LocalCourier courier(*f.spool, f.domains);
    f.spool->set_on_stored([&](const queue::Envelope& env) { courier.enqueue(env); });
    courier.start();
    std::string id = f.store(
        {{"nobody@example.test", RecipientKind::local}, {"carol@lmtp.test", RecipientKind::local}});
    ASSERT_TRUE(eventually([&] {
        auto e = f.spool->get(id);
        return e && e->recipients[0].state == RecipientState::failed;
    }));
    auto e = f.spool->get(id);
    EXPECT_EQ(e->recipients[1].state, RecipientState::pending);
    ASSERT_TRUE(eventually([&] { return !f.spool->get(id)->recipients[1].last_error.empty(); }));
    e = f.spool->get(id);
    EXPECT_EQ(e->recipients[1].state, RecipientState::pending);
    EXPECT_NE(e->recipients[1].last_error.find("connect to lmtp[127.0.0.1]:1"), std::string::npos)
        << e->recipients[1].last_error;
}

TEST(LocalCourier, FailedWriteStaysPendingAndIsRetried) {
    Fixture f;
    // A file where the domain's folder should be makes every write fail.
    fs::create_directories(f.dir.path() / "mail");
    fs::path blocker = f.dir.path() / "mail" / "example.test";
    std::ofstream(blocker) << "in the way";
    LocalCourier courier(*f.spool, f.domains, std::chrono::milliseconds(50));
    f.spool->set_on_stored([&](const queue::Envelope& env) { courier.enqueue(env); });
    courier.start();
    std::string id = f.store({{"alice@example.test", RecipientKind::local}});
    ASSERT_TRUE(eventually([&] {
        auto e = f.spool->get(id);
        return e && !e->recipients[0].last_error.empty();
    }));
    auto e = f.spool->get(id);
    EXPECT_EQ(e->recipients[0].state, RecipientState::pending);
    EXPECT_NE(e->recipients[0].last_error.find("maildir"), std::string::npos);
    EXPECT_GT(e->next_attempt, e->arrival);
    fs::remove(blocker);
    ASSERT_TRUE(eventually([&] { return !f.spool->get(id); }));
    EXPECT_EQ(f.in_new("alice"), 1u);
}

TEST(LocalCourier, StartDeliversWhatWasSpooledBefore) {
    Fixture f;
    std::string id = f.store({{"alice@example.test", RecipientKind::local}});
    LocalCourier courier(*f.spool, f.domains);
    courier.start();
    ASSERT_TRUE(eventually([&] { return !f.spool->get(id); }));
    EXPECT_EQ(f.in_new("alice"), 1u);
    courier.stop();
}

TEST(LocalCourier, HeldMessagesWaitUntilReleased) {
    Fixture f;
    std::string id = f.store({{"alice@example.test", RecipientKind::local}});
    ASSERT_FALSE(f.spool->modify_state(id, [](queue::Envelope& e) { e.held = true; }));
    LocalCourier courier(*f.spool, f.domains, std::chrono::milliseconds(20));
    courier.start();
    courier.enqueue(id);  // asked for explicitly: still held
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(f.spool->get(id));
    EXPECT_EQ(f.spool->get(id)->recipients[0].state, RecipientState::pending);
    EXPECT_EQ(f.in_new("alice"), 0u);
    ASSERT_FALSE(f.spool->modify_state(id, [](queue::Envelope& e) { e.held = false; }));
    courier.enqueue(id);
    ASSERT_TRUE(eventually([&] { return !f.spool->get(id); }));
    EXPECT_EQ(f.in_new("alice"), 1u);
}

// LMTP: one transaction for the message's recipients; per-recipient replies
// after the dot: delivered, bounced (5xx, a notice queued to the sender),
// kept for a retry with backoff (4xx).
TEST(LocalCourier, LmtpPerRecipientResults) {
    Fixture f;
    std::mutex mu;
    int transactions = 0;
    smtp::client::test::Peer peer([&](const std::string& line) -> std::string {
        if (line == "CONNECT") return "220 store LMTP\r\n";
        if (line.rfind("LHLO", 0) == 0) return "250-store\r\n250 PIPELINING\r\n";
        if (line.rfind("MAIL", 0) == 0) {
            std::lock_guard l(mu);
            ++transactions;
            return "250 2.1.0 Ok\r\n";
        }
        if (line.rfind("RCPT", 0) == 0) return "250 2.1.5 Ok\r\n";
        if (line == "DATA") return "354 go\r\n";
        if (line == ".") {
            return "250 2.0.0 <carol@lmtp.test> saved\r\n"
                   "550 5.1.1 <dan@lmtp.test> User doesn't exist\r\n"
                   "452 4.2.2 <erin@lmtp.test> Mailbox is full\r\n";
        }
        if (line == "RSET" || line == "NOOP") return "250 2.0.0 Ok\r\n";
        if (line == "QUIT") return "221 2.0.0 Bye\r\n";
        return "502 5.5.2 ?\r\n";
    });
    f.domains[1].lmtp = "127.0.0.1:" + std::to_string(peer.port());
    f.domains[1].recipients = {"carol", "dan", "erin"};
    LocalSettings s;
    s.lmtp_retry_min = std::chrono::seconds(100);  // no retry during the test
    s.lmtp_retry_max = std::chrono::seconds(400);
    s.lmtp.hostname = "mx.example.test";
    s.notices.hostname = "mx.example.test";
    s.notices.local_domains = {"example.test", "lmtp.test"};
    LocalCourier courier(*f.spool, f.domains, s);
    f.spool->set_on_stored([&](const queue::Envelope& env) { courier.enqueue(env); });
    courier.start();
    std::string id = f.store({{"carol@lmtp.test", RecipientKind::local},
                              {"dan@lmtp.test", RecipientKind::local},
                              {"erin@lmtp.test", RecipientKind::local}});
    ASSERT_TRUE(eventually([&] {
        auto e = f.spool->get(id);
        return e && e->recipients[0].state == RecipientState::delivered;
    }));
    auto e = f.spool->get(id);
    EXPECT_EQ(e->recipients[1].state, RecipientState::failed);
    EXPECT_EQ(e->recipients[2].state, RecipientState::pending);
    EXPECT_NE(e->recipients[2].last_error.find("452 4.2.2"), std::string::npos)
        << e->recipients[2].last_error;
    // The first backoff step: retry_min from now.
    auto wait = e->next_attempt - std::chrono::system_clock::now();
    EXPECT_GT(wait, std::chrono::seconds(90));
    EXPECT_LE(wait, std::chrono::seconds(100));
    // The bounce for dan went to the sender, from <> (queued just after the
    // outcomes are recorded: waited for).
    auto bounced = [&] {
        for (const auto& m : f.spool->list()) {
            if (m.id == id || !m.sender.empty() || m.recipients.size() != 1 ||
                m.recipients[0].address != "sender@example.org") {
                continue;
            }
            std::string text;
            if (f.spool->read_message(m.id, text)) return false;
            return text.find("dan@lmtp.test") != std::string::npos &&
                   text.find("5.1.1") != std::string::npos &&
                   text.find("carol@lmtp.test") == std::string::npos;
        }
        return false;
    };
    EXPECT_TRUE(eventually(bounced));
    std::lock_guard l(mu);
    EXPECT_EQ(transactions, 1);  // all three in one transaction
}

// Not an LMTP server (LHLO refused): the mail waits, nothing is bounced.
TEST(LocalCourier, LmtpSessionRefusedDefersNotBounces) {
    Fixture f;
    smtp::client::test::Peer peer([&](const std::string& line) -> std::string {
        if (line == "CONNECT") return "220 smtp only\r\n";
        if (line == "QUIT") return "221 Bye\r\n";
        return "500 5.5.1 unknown command\r\n";
    });
    f.domains[1].lmtp = "127.0.0.1:" + std::to_string(peer.port());
    LocalCourier courier(*f.spool, f.domains, std::chrono::seconds(100));
    f.spool->set_on_stored([&](const queue::Envelope& env) { courier.enqueue(env); });
    courier.start();
    std::string id = f.store({{"carol@lmtp.test", RecipientKind::local}});
    ASSERT_TRUE(eventually([&] { return !f.spool->get(id)->recipients[0].last_error.empty(); }));
    auto e = f.spool->get(id);
    EXPECT_EQ(e->recipients[0].state, RecipientState::pending);
    EXPECT_NE(e->recipients[0].last_error.find("500"), std::string::npos)
        << e->recipients[0].last_error;
    EXPECT_EQ(f.spool->size(), 1u);  // no bounce queued
}
