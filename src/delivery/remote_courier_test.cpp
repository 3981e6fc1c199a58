// The remote courier end to end inside one process: a real spool, a
// scripted primary on 127.0.0.1 named by `primary = "127.0.0.1:PORT"` (no
// DNS), real SMTP between them.
#include "delivery/remote_courier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <thread>

#include "dns/resolver.hpp"
#include "mail/queue_id.hpp"
#include "queue/test_dir.hpp"
#include "smtp/client/test_peer.hpp"
#include "util/strings.hpp"

using namespace holdfast;
using namespace holdfast::delivery;
using namespace std::chrono_literals;
using queue::RecipientKind;
using queue::RecipientState;
using queue::testing::TestDir;
using smtp::client::test::Peer;

namespace {

std::string primary_answer(const std::string& line) {
    if (line == "CONNECT") return "220 primary.customer.test ESMTP\r\n";
    if (util::istarts_with(line, "EHLO")) return "250-primary.customer.test\r\n250 PIPELINING\r\n";
    if (util::istarts_with(line, "RCPT") && line.find("nobody@") != std::string::npos)
        return "550 5.1.1 no such user\r\n";
    if (util::istarts_with(line, "MAIL") || util::istarts_with(line, "RCPT") || line == "RSET")
        return "250 2.0.0 Ok\r\n";
    if (line == "DATA") return "354 go\r\n";
    if (line == ".") return "250 2.0.0 Ok: queued\r\n";
    if (line == "QUIT") return "221 2.0.0 Bye\r\n";
    return "502 5.5.2 what?\r\n";
}

std::uint16_t free_port() {
    Peer p([](const std::string&) { return std::string(); });
    return p.port();
}

struct Fixture {
    TestDir dir;
    std::unique_ptr<queue::Spool> spool;
    std::unique_ptr<dns::Resolver> resolver;

    Fixture() {
        std::error_code ec;
        spool = queue::Spool::open(dir.path() / "spool", ec);
        EXPECT_FALSE(ec);
        dns::ResolverOptions o;
        o.servers = {"127.0.0.1:9"};  // never asked: the primary is an address
        resolver = std::make_unique<dns::Resolver>(o);
    }

    RemoteSettings settings(std::uint16_t port) {
        RemoteSettings s;
        s.hostname = "backup.isp.test";
        s.self = {"backup.isp.test", {}};
        s.client.helo = "backup.isp.test";
        auto& t = s.client.timeouts;
        t.connect = t.banner = t.command = t.mail = t.rcpt = t.data_init = t.data_block =
            t.data_end = 2s;
        config::BackupDomain b;
        b.domain = "customer.test";
        b.primary = "127.0.0.1:" + std::to_string(port);
        b.queue.retry_min = 1s;
        b.queue.retry_max = 2s;
        b.queue.probe_interval = 1s;
        s.backups.push_back(b);
        return s;
    }

    std::string store(std::string sender, std::vector<std::string> rcpts, std::string body,
                      const std::function<void(queue::Envelope&)>& tweak = {}) {
        queue::Envelope env;
        env.id = mail::new_queue_id();
        env.sender = std::move(sender);
        for (auto& r : rcpts)
            env.recipients.push_back(
                {r, RecipientKind::backup, RecipientState::pending, "", {}, {}});
        env.arrival = std::chrono::system_clock::now();
        if (tweak) tweak(env);
        std::promise<std::error_code> done;
        spool->store(env, std::move(body), [&](std::error_code ec) { done.set_value(ec); });
        EXPECT_FALSE(done.get_future().get());
        return env.id;
    }

    // Waits until `pred` holds over the spool's contents, up to `limit`.
    bool wait_for(const std::function<bool(const std::vector<queue::Envelope>&)>& pred,
                  std::chrono::milliseconds limit = 10s) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (pred(spool->list())) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
};

// The courier as the daemon runs it: started, then on an io_context that
// another thread runs. Gone in the daemon's order: that thread stopped,
// then the courier, then the io_context (its handlers, attempts still under
// way among them, go last).
struct RunningCourier {
    boost::asio::io_context io;
    RemoteCourier courier;
    std::thread runner;

    RunningCourier(Fixture& f, RemoteSettings s)
        : courier(io, *f.spool, *f.resolver, std::move(s)) {
        courier.start();
        runner = std::thread([this] {
            auto busy = boost::asio::make_work_guard(io);
            io.run();
        });
    }
    ~RunningCourier() {
        io.stop();
        runner.join();
    }
    RemoteCourier* operator->() { return &courier; }
};

std::vector<queue::Envelope> notices_in(const std::vector<queue::Envelope>& all) {
    std::vector<queue::Envelope> out;
    for (const auto& e : all) {
        if (e.sender.empty()) out.push_back(e);
    }
    return out;
}

bool only_notices(const std::vector<queue::Envelope>& all) {
    for (const auto& e : all) {
        if (!e.sender.empty()) return false;
    }
    return true;
}

}  // namespace

TEST(RemoteCourier, DeliversAndBouncesPerRecipient) {
    Fixture f;
    Peer primary(primary_answer);
    std::string id = f.store("sender@origin.test", {"alice@customer.test", "nobody@customer.test"},
                             "Subject: hi\r\n\r\nbody\r\n");
    RunningCourier courier(f, f.settings(primary.port()));
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.size() == 1 && only_notices(all); }));
    EXPECT_EQ(primary.data(), std::vector<std::string>{"Subject: hi\r\n\r\nbody\r\n"});
    auto notice = f.spool->list().at(0);
    EXPECT_EQ(notice.sender, "");
    ASSERT_EQ(notice.recipients.size(), 1u);
    EXPECT_EQ(notice.recipients[0].address, "sender@origin.test");
    EXPECT_EQ(notice.recipients[0].kind, RecipientKind::relay);
    std::string text;
    ASSERT_FALSE(f.spool->read_message(notice.id, text));
    EXPECT_NE(text.find("Final-Recipient: rfc822; nobody@customer.test"), std::string::npos);
    EXPECT_NE(text.find("Status: 5.1.1"), std::string::npos);
    EXPECT_NE(text.find("Diagnostic-Code: smtp; 550 5.1.1 no such user"), std::string::npos);
    EXPECT_EQ(text.find("alice@customer.test"), std::string::npos);
    EXPECT_NE(text.find("X-Holdfast-Queue-ID: " + id), std::string::npos);
}

TEST(RemoteCourier, BounceOfAnSmtputf8MessageIsGlobalAndSentWithSmtputf8) {
    Fixture f;
    Peer primary(primary_answer);
    f.store("j\xc3\xb6rg@origin.test", {"nobody@customer.test"},
            "Subject: gr\xc3\xbc\xc3\x9f"
            "e\r\n\r\nbody\r\n",
            [](queue::Envelope& e) { e.smtputf8 = true; });
    RunningCourier courier(f, f.settings(primary.port()));
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.size() == 1 && only_notices(all); }));
    auto notice = f.spool->list().at(0);
    EXPECT_TRUE(notice.smtputf8);  // RFC 6531: it goes out with SMTPUTF8 or not at all
    EXPECT_EQ(notice.recipients.at(0).address, "j\xc3\xb6rg@origin.test");
    std::string text;
    ASSERT_FALSE(f.spool->read_message(notice.id, text));
    EXPECT_NE(text.find("Content-Type: message/global-delivery-status"), std::string::npos);
    EXPECT_NE(text.find("Content-Type: message/global-headers"), std::string::npos);
    EXPECT_NE(text.find("Subject: gr\xc3\xbc\xc3\x9f"
                        "e"),
              std::string::npos);
}

TEST(RemoteCourier, NeverBouncesABounce) {
    Fixture f;
    Peer primary(primary_answer);
    f.store("", {"nobody@customer.test"}, "Subject: a bounce\r\n\r\n");
    RunningCourier courier(f, f.settings(primary.port()));
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.empty(); }));
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(f.spool->list().empty());
}

TEST(RemoteCourier, BacklogFlowsWhenThePrimaryReturns) {
    Fixture f;
    std::uint16_t port = free_port();  // nobody listens there yet: the primary is down
    RunningCourier courier(f, f.settings(port));
    for (int i = 0; i < 20; ++i) {
        courier->enqueue(f.store("sender@origin.test", {"alice@customer.test"},
                                 "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n"));
    }
    std::this_thread::sleep_for(1500ms);  // a failed attempt and a failed probe
    EXPECT_EQ(f.spool->list().size(), 20u);
    EXPECT_NE(f.spool->list().at(0).recipients.at(0).last_error, "");
    auto back = std::chrono::steady_clock::now();
    Peer primary(primary_answer, port);
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.empty(); }, 10s));
    auto took = std::chrono::steady_clock::now() - back;
    EXPECT_LT(took, 5s);  // one probe interval (1 s) plus the flush; loose for loaded CI
    EXPECT_EQ(primary.data().size(), 20u);  // each exactly once
}

TEST(RemoteCourier, ReusesTheConnectionForTheNextMessage) {
    Fixture f;
    Peer primary(primary_answer);
    RemoteSettings s = f.settings(primary.port());
    s.backups[0].queue.concurrency =
        1;  // one after the other, so the second finds the first's connection
    for (int i = 0; i < 3; ++i) {
        f.store("sender@origin.test", {"alice@customer.test"},
                "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n");
    }
    RunningCourier courier(f, s);
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.empty(); }));
    EXPECT_EQ(primary.data().size(), 3u);
    EXPECT_EQ(primary.connections(), 1);
}

TEST(RemoteCourier, BounceHonoursTheDsnParameters) {
    Fixture f;
    Peer primary(primary_answer);
    std::string id =
        f.store("sender@origin.test",
                {"alice@customer.test", "nobody@customer.test", "x.nobody@customer.test"},
                "Subject: hi\r\n\r\nthe body\r\n", [](queue::Envelope& e) {
                    e.ret = mail::DsnReturn::full;
                    e.envid = "ENV-42";
                    e.recipients[1].notify = mail::DsnNotify::never();
                    e.recipients[2].notify = {true, false, true, false};  // FAILURE
                    e.recipients[2].orcpt = "rfc822;Old.Nobody@customer.test";
                });
    RunningCourier courier(f, f.settings(primary.port()));
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.size() == 1 && only_notices(all); }));
    std::string text;
    ASSERT_FALSE(f.spool->read_message(f.spool->list().at(0).id, text));
    EXPECT_NE(text.find("Final-Recipient: rfc822; x.nobody@customer.test"), std::string::npos);
    EXPECT_NE(text.find("Original-Recipient: rfc822; Old.Nobody@customer.test"), std::string::npos);
    EXPECT_EQ(text.find("Final-Recipient: rfc822; nobody@customer.test"), std::string::npos)
        << "NOTIFY=NEVER";
    EXPECT_NE(text.find("Original-Envelope-Id: ENV-42"), std::string::npos);
    EXPECT_NE(text.find("Content-Type: message/rfc822"), std::string::npos);
    EXPECT_NE(text.find("the body"), std::string::npos) << "RET=FULL returns the body";
    EXPECT_NE(text.find("X-Holdfast-Queue-ID: " + id), std::string::npos);
}

TEST(RemoteCourier, NoBounceWhenNotifyExcludesFailure) {
    Fixture f;
    Peer primary(primary_answer);
    f.store("sender@origin.test", {"nobody@customer.test", "x.nobody@customer.test"},
            "Subject: hi\r\n\r\nthe body\r\n", [](queue::Envelope& e) {
                e.recipients[0].notify = mail::DsnNotify::never();
                e.recipients[1].notify = {true, true, false, true};  // SUCCESS,DELAY
            });
    RunningCourier courier(f, f.settings(primary.port()));
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.empty(); }));
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(f.spool->list().empty());
}

TEST(RemoteCourier, TheDelayNoticeGoesOnceEvenAcrossRestarts) {
    Fixture f;
    std::uint16_t port = free_port();  // the primary stays down
    RemoteSettings s = f.settings(port);
    s.backups[0].queue.delay_warning = 1s;
    std::string id = f.store("sender@origin.test", {"alice@customer.test"}, "Subject: x\r\n\r\n",
                             [](queue::Envelope& e) {
                                 e.recipients[0].orcpt = "rfc822;alice@customer.test";
                                 e.envid = "E1";
                             });
    // Headers only (RET unspecified); and NOTIFY=FAILURE: no delay notice.
    std::string quiet = f.store("sender@origin.test", {"bob@customer.test"},
                                "Subject: y\r\n\r\nsecret\r\n", [](queue::Envelope& e) {
                                    e.recipients[0].notify = {true, false, true, false};
                                });
    auto warned = [&](const std::string& m) {
        auto e = f.spool->get(m);
        return e && e->warned;
    };
    {
        RunningCourier courier(f, s);
        ASSERT_TRUE(f.wait_for([&](const auto&) { return warned(id) && warned(quiet); }));
        std::this_thread::sleep_for(300ms);
    }
    auto notices = notices_in(f.spool->list());
    ASSERT_EQ(notices.size(), 1u);
    std::string text;
    ASSERT_FALSE(f.spool->read_message(notices[0].id, text));
    EXPECT_NE(text.find("Action: delayed"), std::string::npos);
    EXPECT_NE(text.find("Final-Recipient: rfc822; alice@customer.test"), std::string::npos);
    EXPECT_EQ(text.find("bob@customer.test"), std::string::npos);
    EXPECT_NE(text.find("Original-Envelope-Id: E1"), std::string::npos);
    EXPECT_NE(text.find("Content-Type: text/rfc822-headers"), std::string::npos);
    {
        RunningCourier courier(f, s);         // a restart
        std::this_thread::sleep_for(2500ms);  // past delay_warning again
    }
    EXPECT_EQ(notices_in(f.spool->list()).size(), 1u);
    EXPECT_TRUE(f.spool->get(id));
}

TEST(RemoteCourier, HeldMessagesAreNotAttempted) {
    Fixture f;
    std::uint16_t port = free_port();
    RunningCourier courier(f, f.settings(port));
    std::string early =
        f.store("sender@origin.test", {"alice@customer.test"}, "Subject: a\r\n\r\n");
    ASSERT_FALSE(f.spool->modify_state(early, [](queue::Envelope& e) { e.held = true; }));
    courier->enqueue(early);  // held before it was ever scheduled
    std::string late = f.store("sender@origin.test", {"alice@customer.test"}, "Subject: b\r\n\r\n");
    courier->enqueue(late);
    ASSERT_TRUE(f.wait_for([&](const auto&) {
        auto e = f.spool->get(late);
        return e && !e->recipients[0].last_error.empty();  // tried once, primary down
    }));
    ASSERT_FALSE(f.spool->modify_state(late, [](queue::Envelope& e) { e.held = true; }));
    Peer primary(primary_answer, port);
    courier->flush();
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(primary.data().empty());
    EXPECT_TRUE(f.spool->get(early));
    EXPECT_TRUE(f.spool->get(late));
    for (const auto& m : {early, late}) {
        ASSERT_FALSE(f.spool->modify_state(m, [](queue::Envelope& e) { e.held = false; }));
        courier->enqueue(m);
    }
    ASSERT_TRUE(f.wait_for([](const auto& all) { return all.empty(); }));
    EXPECT_EQ(primary.data().size(), 2u);
}

TEST(RemoteCourier, ALargeMessageWaitingForTwoDestinationsGetsOneDelayNotice) {
    Fixture f;
    std::uint16_t port = free_port();  // both primaries stay down
    RemoteSettings s = f.settings(port);
    s.backups[0].queue.delay_warning = 1s;
    config::BackupDomain other = s.backups[0];
    other.domain = "other.test";
    s.backups.push_back(other);
    // In a body file, as DATA over limits.data_in_memory is stored: read on
    // the courier's own thread, so both warnings are under way at once.
    queue::Envelope env;
    env.id = mail::new_queue_id();
    env.sender = "sender@origin.test";
    for (const char* r : {"alice@customer.test", "bob@other.test"})
        env.recipients.push_back({r, RecipientKind::backup, RecipientState::pending, "", {}, {}});
    env.arrival = std::chrono::system_clock::now();
    std::error_code ec;
    auto body = f.spool->create_body(env.id, ec);
    ASSERT_TRUE(body) << ec.message();
    ASSERT_FALSE(body->write("Subject: large\r\n\r\n" + std::string(512 * 1024, 'x') + "\r\n"));
    std::promise<std::error_code> stored;
    f.spool->store(env, std::move(body), [&](std::error_code e) { stored.set_value(e); });
    ASSERT_FALSE(stored.get_future().get());
    {
        RunningCourier courier(f, s);
        ASSERT_TRUE(f.wait_for([&](const auto&) {
            auto e = f.spool->get(env.id);
            return e && e->warned;
        }));
        std::this_thread::sleep_for(500ms);
    }
    auto notices = notices_in(f.spool->list());
    ASSERT_EQ(notices.size(), 1u);
    std::string text;
    ASSERT_FALSE(f.spool->read_message(notices[0].id, text));
    EXPECT_NE(text.find("Final-Recipient: rfc822; alice@customer.test"), std::string::npos);
    EXPECT_NE(text.find("Final-Recipient: rfc822; bob@other.test"), std::string::npos);
}
