#include "smtp/client/session.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smtp/client/test_peer.hpp"
#include "util/strings.hpp"

using namespace holdfast;
using namespace holdfast::smtp::client;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

Options quick() {
    Options o;
    o.helo = "backup.test";
    auto& t = o.timeouts;
    t.connect = t.banner = t.command = t.mail = t.rcpt = t.data_init = t.data_block = t.data_end =
        t.tls_handshake = 2s;
    return o;
}

Endpoint local(std::uint16_t port) {
    return {*util::parse_ip("127.0.0.1"), port};
}

struct Run {
    Status open;
    bool tls = false;
    Capabilities caps;
    std::vector<Result> results;
};

// A named coroutine, not a capturing lambda (GCC 12 double-frees captures).
asio::awaitable<void> deliver(Run* out, Endpoint ep, Options o, std::vector<Message> messages) {
    auto opened = co_await Session::open(co_await asio::this_coro::executor, "peer.test", ep, o);
    out->open = opened.status;
    if (!opened.session) co_return;
    out->tls = opened.session->tls();
    out->caps = opened.session->capabilities();
    for (auto& m : messages) out->results.push_back(co_await opened.session->send(m));
    co_await opened.session->quit();
}

Run run(Endpoint ep, std::vector<Message> messages, Options o = quick()) {
    asio::io_context io;
    Run r;
    asio::co_spawn(io, deliver(&r, ep, o, std::move(messages)), asio::detached);
    io.run();
    return r;
}

const std::string kEhlo =
    "250-peer.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-8BITMIME\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";

// A well-behaved peer; `rcpt` answers each RCPT.
std::string basic(const std::string& line,
                  const std::function<std::string(const std::string&)>& rcpt) {
    if (line == "CONNECT") return "220 peer.test ESMTP\r\n";
    if (util::istarts_with(line, "EHLO")) return kEhlo;
    if (util::istarts_with(line, "MAIL")) return "250 2.1.0 Ok\r\n";
    if (util::istarts_with(line, "RCPT")) return rcpt(line);
    if (line == "DATA") return "354 go ahead\r\n";
    if (line == ".") return "250 2.0.0 Ok: queued\r\n";
    if (line == "RSET") return "250 2.0.0 Ok\r\n";
    if (line == "QUIT") return "221 2.0.0 Bye\r\n";
    return "502 5.5.2 what?\r\n";
}

}  // namespace

TEST(Session, PerRecipientResultsWithPipelining) {
    test::Peer peer([](const std::string& line) {
        return basic(line, [](const std::string& l) -> std::string {
            if (l.find("full@") != std::string::npos) return "452 4.2.2 mailbox full\r\n";
            if (l.find("nobody@") != std::string::npos) return "550 5.1.1 no such user\r\n";
            return "250 2.1.5 Ok\r\n";
        });
    });
    std::string body = "Subject: t\r\n\r\n.leading dot\r\nlast line\r\n";
    auto r = run(local(peer.port()),
                 {Message{"s@src.test", {"a@dst.test", "full@dst.test", "nobody@dst.test"}, body}});
    ASSERT_EQ(r.open.outcome, Outcome::delivered) << r.open.text;
    EXPECT_TRUE(r.caps.pipelining);
    ASSERT_EQ(r.results.size(), 1u);
    const auto& rc = r.results[0].recipients;
    ASSERT_EQ(rc.size(), 3u);
    EXPECT_EQ(rc[0].status.outcome, Outcome::delivered);
    EXPECT_EQ(rc[0].status.text, "250 2.0.0 Ok: queued");
    EXPECT_EQ(rc[1].status.outcome, Outcome::deferred);
    EXPECT_EQ(rc[1].status.enhanced, "4.2.2");
    EXPECT_EQ(rc[2].status.outcome, Outcome::failed);
    EXPECT_EQ(rc[2].status.text, "550 5.1.1 no such user");
    ASSERT_EQ(peer.data().size(), 1u);
    EXPECT_EQ(peer.data()[0], "Subject: t\r\n\r\n..leading dot\r\nlast line\r\n");
    // MAIL and all RCPTs left in one write; the body and its final dot too.
    bool grouped = false, dot_with_body = false;
    for (const auto& c : peer.chunks()) {
        grouped = grouped || (c.find("MAIL FROM:<s@src.test> SIZE=") != std::string::npos &&
                              c.find("RCPT TO:<nobody@dst.test>") != std::string::npos);
        dot_with_body = dot_with_body || c.find("last line\r\n.\r\n") != std::string::npos;
    }
    EXPECT_TRUE(grouped);
    EXPECT_TRUE(dot_with_body);
}

TEST(Session, ReusesTheConnectionInTwoRoundTripsAMessage) {
    test::Peer peer([](const std::string& line) {
        return basic(line, [](const std::string&) { return std::string("250 2.1.5 Ok\r\n"); });
    });
    auto r = run(local(peer.port()), {Message{"s@src.test", {"a@dst.test"}, "one\r\n"},
                                      Message{"", {"b@dst.test"}, "two\r\n"}});
    ASSERT_EQ(r.results.size(), 2u);
    EXPECT_EQ(r.results[0].recipients[0].status.outcome, Outcome::delivered);
    EXPECT_EQ(r.results[1].recipients[0].status.outcome, Outcome::delivered);
    EXPECT_TRUE(r.results[1].reusable);
    EXPECT_EQ(peer.connections(), 1);
    // The first transaction ended with the reply to its dot: no RSET, and
    // MAIL, RCPT and DATA of the second went in one write.
    bool grouped = false;
    std::string all;
    for (const auto& c : peer.chunks()) {
        all += c;
        grouped = grouped || c == "MAIL FROM:<> SIZE=5\r\nRCPT TO:<b@dst.test>\r\nDATA\r\n";
    }
    EXPECT_TRUE(grouped) << all;
    EXPECT_EQ(all.find("RSET"), std::string::npos) << all;
    EXPECT_EQ(peer.data(), (std::vector<std::string>{"one\r\n", "two\r\n"}));
}

TEST(Session, ResetsAfterATransactionThatEndedBeforeItsData) {
    // This peer refuses DATA without recipients, as RFC 2920 asks.
    test::Peer peer([](const std::string& line) -> std::string {
        static std::mutex mu;
        static bool any = false;
        std::lock_guard lock(mu);
        if (util::istarts_with(line, "RCPT")) {
            any = line.find("nobody@") == std::string::npos;
            return any ? "250 2.1.5 Ok\r\n" : "550 5.1.1 no such user\r\n";
        }
        if (line == "DATA" && !any) return "554 5.5.1 no valid recipients\r\n";
        return basic(line, [](const std::string&) { return std::string(); });
    });
    auto r = run(local(peer.port()), {Message{"s@src.test", {"nobody@dst.test"}, "one\r\n"},
                                      Message{"s@src.test", {"b@dst.test"}, "two\r\n"}});
    ASSERT_EQ(r.results.size(), 2u);
    EXPECT_EQ(r.results[0].recipients[0].status.outcome, Outcome::failed);
    EXPECT_EQ(r.results[1].recipients[0].status.outcome, Outcome::delivered)
        << r.results[1].recipients[0].status.text;
    EXPECT_EQ(peer.connections(), 1);
    std::string all;
    for (const auto& c : peer.chunks()) all += c;
    EXPECT_NE(all.find("RSET\r\nMAIL FROM:<s@src.test> SIZE=5\r\nRCPT TO:<b@dst.test>\r\nDATA\r\n"),
              std::string::npos)
        << all;
    EXPECT_EQ(peer.data(), (std::vector<std::string>{"two\r\n"}));
}

TEST(Session, EndsADataThatAPeerTookWithoutRecipients) {
    // A peer that says 354 to a pipelined DATA although it refused every
    // recipient: the client ends it with an empty message and resets.
    test::Peer peer([](const std::string& line) {
        return basic(line, [](const std::string& l) -> std::string {
            if (l.find("nobody@") != std::string::npos) return "550 5.1.1 no such user\r\n";
            return "250 2.1.5 Ok\r\n";
        });
    });
    auto r = run(local(peer.port()), {Message{"s@src.test", {"nobody@dst.test"}, "one\r\n"},
                                      Message{"s@src.test", {"b@dst.test"}, "two\r\n"}});
    ASSERT_EQ(r.results.size(), 2u);
    EXPECT_EQ(r.results[0].recipients[0].status.outcome, Outcome::failed);
    EXPECT_EQ(r.results[1].recipients[0].status.outcome, Outcome::delivered);
    std::string all;
    for (const auto& c : peer.chunks()) all += c;
    EXPECT_NE(all.find("RSET\r\nMAIL FROM:<s@src.test>"), std::string::npos) << all;
    EXPECT_EQ(peer.data(), (std::vector<std::string>{"", "two\r\n"}));
}

TEST(Session, FallsBackToHeloAndSendsOneCommandAtATime) {
    test::Peer peer([](const std::string& line) -> std::string {
        if (util::istarts_with(line, "EHLO")) return "502 5.5.1 no ESMTP here\r\n";
        if (util::istarts_with(line, "HELO")) return "250 peer.test\r\n";
        return basic(line, [](const std::string&) { return std::string("250 Ok\r\n"); });
    });
    auto r = run(local(peer.port()), {Message{"s@src.test", {"a@dst.test", "b@dst.test"}, "x"}});
    ASSERT_EQ(r.open.outcome, Outcome::delivered) << r.open.text;
    EXPECT_FALSE(r.caps.esmtp);
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_EQ(r.results[0].recipients[1].status.outcome, Outcome::delivered);
    for (const auto& c : peer.chunks()) {
        EXPECT_FALSE(c.find("MAIL") != std::string::npos && c.find("RCPT") != std::string::npos);
        EXPECT_EQ(c.find("SIZE="), std::string::npos);
    }
}

TEST(Session, UsesStartTlsWhenOffered) {
    test::Peer peer([](const std::string& line) -> std::string {
        if (util::istarts_with(line, "EHLO")) return "250-peer.test\r\n250 STARTTLS\r\n";
        if (line == "STARTTLS") return "220 2.0.0 ready\r\n";
        return basic(line, [](const std::string&) { return std::string("250 Ok\r\n"); });
    });
    auto r = run(local(peer.port()), {Message{"s@src.test", {"a@dst.test"}, "secret\r\n"}});
    ASSERT_EQ(r.open.outcome, Outcome::delivered) << r.open.text;
    EXPECT_TRUE(r.tls);
    EXPECT_TRUE(peer.tls_used());
    EXPECT_EQ(r.results.at(0).recipients.at(0).status.outcome, Outcome::delivered);
    EXPECT_EQ(peer.data(), std::vector<std::string>{"secret\r\n"});
}

TEST(Session, EverySessionUsesStartTlsThroughTheSharedContext) {
    // One TLS context serves every session: the second and third handshakes
    // must work as the first did, from threads of their own.
    test::Peer peer([](const std::string& line) -> std::string {
        if (util::istarts_with(line, "EHLO")) return "250-peer.test\r\n250 STARTTLS\r\n";
        if (line == "STARTTLS") return "220 2.0.0 ready\r\n";
        return basic(line, [](const std::string&) { return std::string("250 Ok\r\n"); });
    });
    std::vector<std::thread> threads;
    std::atomic<int> encrypted{0};
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&] {
            auto r = run(local(peer.port()), {Message{"s@src.test", {"a@dst.test"}, "x\r\n"}});
            if (r.tls && r.results.at(0).recipients.at(0).status.outcome == Outcome::delivered)
                ++encrypted;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(encrypted.load(), 3);
}

TEST(Session, RefusesOversizedMessageWithoutSendingIt) {
    test::Peer peer([](const std::string& line) {
        return basic(line, [](const std::string&) { return std::string("250 Ok\r\n"); });
    });
    std::string big(200000, 'x');
    auto r = run(local(peer.port()), {Message{"s@src.test", {"a@dst.test"}, big}});
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_EQ(r.results[0].recipients[0].status.outcome, Outcome::failed);
    EXPECT_EQ(r.results[0].recipients[0].status.enhanced, "5.3.4");
    EXPECT_TRUE(peer.data().empty());
}

TEST(Session, BannerTimeoutDefers) {
    test::Peer peer([](const std::string& line) -> std::string {
        if (line == "CONNECT") return "-";  // never greets
        return "-";
    });
    Options o = quick();
    o.timeouts.banner = 200ms;
    auto start = std::chrono::steady_clock::now();
    auto r = run(local(peer.port()), {}, o);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(r.open.outcome, Outcome::deferred);
    EXPECT_EQ(r.open.enhanced, "4.4.2");
    EXPECT_NE(r.open.text.find("timed out"), std::string::npos) << r.open.text;
}

// The end of data waits 300 ms although every step before it had 2 s: a
// deadline earlier than the one the watchdog sleeps until still holds.
TEST(Session, ShorterDeadlineAfterLongerOnesHolds) {
    test::Peer peer([](const std::string& line) -> std::string {
        if (line == ".") return "-";  // takes the message, never answers
        return basic(line, [](const std::string&) { return "250 2.1.5 Ok\r\n"; });
    });
    Options o = quick();
    o.timeouts.data_end = 300ms;
    auto start = std::chrono::steady_clock::now();
    auto r =
        run(local(peer.port()), {Message{"s@x.test", {"a@x.test"}, "Subject: t\r\n\r\nhi\r\n"}}, o);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
    ASSERT_EQ(r.results.size(), 1u);
    const auto& st = r.results[0].recipients.at(0).status;
    EXPECT_EQ(st.outcome, Outcome::deferred);
    EXPECT_NE(st.text.find("timed out after 0.3s"), std::string::npos) << st.text;
    EXPECT_FALSE(r.results[0].reusable);
}

namespace {

// Two messages on one session with a pause longer than every timeout
// between them, as a parked connection waits for the next message.
asio::awaitable<void> deliver_after_pause(Run* out, Endpoint ep, Options o, Message m,
                                          std::chrono::milliseconds pause) {
    auto opened = co_await Session::open(co_await asio::this_coro::executor, "peer.test", ep, o);
    out->open = opened.status;
    if (!opened.session) co_return;
    out->results.push_back(co_await opened.session->send(m));
    asio::steady_timer t(co_await asio::this_coro::executor, pause);
    co_await t.async_wait(asio::use_awaitable);
    out->results.push_back(co_await opened.session->send(m));
    co_await opened.session->quit();
}

}  // namespace

// The deadline of a step that is over never fires at the next one.
TEST(Session, IdleBetweenMessagesIsNoTimeout) {
    test::Peer peer([](const std::string& line) {
        return basic(line, [](const std::string&) { return "250 2.1.5 Ok\r\n"; });
    });
    Options o = quick();
    auto& t = o.timeouts;
    t.command = t.mail = t.rcpt = t.data_init = t.data_block = t.data_end = 200ms;
    Message m{"s@x.test", {"a@x.test"}, "Subject: t\r\n\r\nhi\r\n"};
    asio::io_context io;
    ::Run r;
    asio::co_spawn(io, deliver_after_pause(&r, local(peer.port()), o, m, 600ms), asio::detached);
    io.run();
    ASSERT_EQ(r.results.size(), 2u) << r.open.text;
    for (const auto& res : r.results) {
        EXPECT_EQ(res.recipients.at(0).status.outcome, Outcome::delivered)
            << res.recipients.at(0).status.text;
    }
    EXPECT_EQ(peer.data().size(), 2u);
}

TEST(Session, RefusedConnectionDefers) {
    std::uint16_t port;
    {
        test::Peer gone([](const std::string&) { return std::string(); });
        port = gone.port();
    }
    auto r = run(local(port), {});
    EXPECT_EQ(r.open.outcome, Outcome::deferred);
    EXPECT_EQ(r.open.enhanced, "4.4.1");
}

TEST(Session, DroppedAfterDotDefersAcceptedRecipients) {
    test::Peer peer([](const std::string& line) {
        if (line == ".") return std::string();  // hang up instead of answering
        return basic(line, [](const std::string&) { return std::string("250 Ok\r\n"); });
    });
    auto r = run(local(peer.port()), {Message{"s@src.test", {"a@dst.test"}, "x\r\n"}});
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_EQ(r.results[0].recipients[0].status.outcome, Outcome::deferred);
    EXPECT_FALSE(r.results[0].reusable);
    EXPECT_FALSE(r.results[0].error.empty());
}

// RFC 3461 4: DSN parameters go to a peer that announces DSN, and only there.
TEST(Session, PassesDsnParametersOnlyToAPeerThatAnnouncesDsn) {
    for (bool announce : {true, false}) {
        std::mutex mu;
        std::vector<std::string> seen;
        test::Peer peer([&](const std::string& line) -> std::string {
            {
                std::lock_guard l(mu);
                seen.push_back(line);
            }
            if (util::istarts_with(line, "EHLO"))
                return announce ? "250-peer.test\r\n250-PIPELINING\r\n250 DSN\r\n"
                                : "250-peer.test\r\n250 PIPELINING\r\n";
            return basic(line, [](const std::string&) { return "250 2.1.5 Ok\r\n"; });
        });
        Message m{"s@src.test", {"a@dst.test", "b@dst.test"}, "x\r\n"};
        m.ret = mail::DsnReturn::headers;
        m.envid = "id+1 x";
        m.recipient_dsn = {{{true, false, true, true}, "rfc822;A=1@dst.test"},
                           {mail::DsnNotify::never(), ""}};
        auto r = run(local(peer.port()), {m});
        ASSERT_EQ(r.results.size(), 1u);
        EXPECT_EQ(r.caps.dsn, announce);
        std::lock_guard l(mu);
        auto has = [&](const std::string& want) {
            return std::find(seen.begin(), seen.end(), want) != seen.end();
        };
        if (announce) {
            EXPECT_TRUE(has("MAIL FROM:<s@src.test> RET=HDRS ENVID=id+2B1+20x"));
            EXPECT_TRUE(
                has("RCPT TO:<a@dst.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;A+3D1@dst.test"));
            EXPECT_TRUE(has("RCPT TO:<b@dst.test> NOTIFY=NEVER"));
        } else {
            EXPECT_TRUE(has("MAIL FROM:<s@src.test>"));
            EXPECT_TRUE(has("RCPT TO:<a@dst.test>"));
            EXPECT_TRUE(has("RCPT TO:<b@dst.test>"));
        }
    }
}

// RFC 5321 6.3: a peer that greets or answers EHLO with our own host name is
// ourselves (a service name that resolves to us, a NAT, a relay back): a
// loop, deferred and never sent.
TEST(Session, PeerWithOurNameIsALoop) {
    for (const char* where : {"banner", "ehlo", "helo"}) {
        std::string w = where;
        test::Peer peer([w](const std::string& line) -> std::string {
            if (line == "CONNECT")
                return w == "banner" ? "220 Backup.Test. ESMTP Holdfast\r\n" : "220 other.test\r\n";
            if (util::istarts_with(line, "EHLO")) {
                if (w == "helo") return "502 5.5.1 no\r\n";
                return "250-backup.test Hello\r\n250 PIPELINING\r\n";
            }
            if (util::istarts_with(line, "HELO")) return "250 backup.test\r\n";
            if (line == "QUIT") return "221 Bye\r\n";
            return "250 Ok\r\n";
        });
        Message m{"a@example.test", {"b@customer.test"}, "Subject: x\r\n\r\nx\r\n", false};
        auto r = run(local(peer.port()), {m});
        EXPECT_EQ(r.open.outcome, Outcome::deferred) << where;
        EXPECT_EQ(r.open.enhanced, "4.4.6") << where;
        EXPECT_NE(r.open.text.find("a mail loop"), std::string::npos) << r.open.text;
        EXPECT_TRUE(r.results.empty()) << where;
        EXPECT_TRUE(peer.data().empty()) << where;
    }
}

TEST(Session, ANameThatOnlyStartsLikeOursIsNoLoop) {
    test::Peer peer([](const std::string& line) {
        if (line == "CONNECT") return std::string("220 backup.test.example ESMTP\r\n");
        return basic(line, [](const std::string&) { return "250 2.1.5 Ok\r\n"; });
    });
    auto r = run(local(peer.port()), {});
    EXPECT_EQ(r.open.outcome, Outcome::delivered) << r.open.text;
}

// RFC 2033: LHLO, then one reply per recipient accepted at RCPT after the
// final dot, in RCPT order; a refused RCPT gets none.
TEST(LmtpSession, OneReplyPerAcceptedRecipient) {
    std::mutex mu;
    std::vector<std::string> seen;
    test::Peer peer([&](const std::string& line) -> std::string {
        {
            std::lock_guard l(mu);
            seen.push_back(line);
        }
        if (line == "CONNECT") return "220 peer.test LMTP\r\n";
        // Same name as ours: no loop for LMTP (a local Dovecot).
        if (util::istarts_with(line, "LHLO")) return "250-backup.test\r\n250 PIPELINING\r\n";
        if (util::istarts_with(line, "EHLO")) return "500 5.5.1 LMTP only\r\n";
        if (line == "RCPT TO:<nobody@x.test>") return "550 5.1.1 no such user\r\n";
        if (line == ".") return "250 2.0.0 <a@x.test> saved\r\n452 4.2.2 <b@x.test> over quota\r\n";
        return basic(line, [](const std::string&) { return "250 2.1.5 Ok\r\n"; });
    });
    Options o = quick();
    o.lmtp = true;
    Message m{"s@x.test", {"a@x.test", "nobody@x.test", "b@x.test"}, "Subject: t\r\n\r\nhi\r\n"};
    auto r = run(local(peer.port()), {m}, o);
    ASSERT_EQ(r.open.outcome, Outcome::delivered) << r.open.text;
    EXPECT_TRUE(r.caps.pipelining);
    ASSERT_EQ(r.results.size(), 1u);
    const auto& rc = r.results[0].recipients;
    ASSERT_EQ(rc.size(), 3u);
    EXPECT_EQ(rc[0].status.outcome, Outcome::delivered);
    EXPECT_EQ(rc[1].status.outcome, Outcome::failed);
    EXPECT_EQ(rc[1].status.enhanced, "5.1.1");
    EXPECT_EQ(rc[2].status.outcome, Outcome::deferred);
    EXPECT_EQ(rc[2].status.enhanced, "4.2.2");
    EXPECT_TRUE(r.results[0].reusable);
    std::lock_guard l(mu);
    EXPECT_TRUE(std::any_of(seen.begin(), seen.end(),
                            [](const auto& s) { return s == "LHLO backup.test"; }));
}

// The connection lost after the first of two per-recipient replies: the
// second recipient is deferred, the first stays delivered.
TEST(LmtpSession, LostMidwayDefersTheRest) {
    test::Peer peer([&](const std::string& line) -> std::string {
        if (util::istarts_with(line, "LHLO")) return "250-peer.test\r\n250 PIPELINING\r\n";
        if (line == ".") {
            return "250 2.0.0 first saved\r\n";  // then silence; the peer closes after
        }
        return basic(line, [](const std::string&) { return "250 2.1.5 Ok\r\n"; });
    });
    Options o = quick();
    o.lmtp = true;
    o.timeouts.data_end = 300ms;
    Message m{"s@x.test", {"a@x.test", "b@x.test"}, "Subject: t\r\n\r\nhi\r\n"};
    auto r = run(local(peer.port()), {m}, o);
    ASSERT_EQ(r.results.size(), 1u);
    const auto& rc = r.results[0].recipients;
    EXPECT_EQ(rc[0].status.outcome, Outcome::delivered);
    EXPECT_EQ(rc[1].status.outcome, Outcome::deferred);
    EXPECT_FALSE(r.results[0].reusable);
}
