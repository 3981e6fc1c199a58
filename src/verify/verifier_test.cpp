// The verifier against the scripted SMTP peer as the backup domain's primary.
#include "verify/verifier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <thread>

#include "dns/resolver.hpp"
#include "queue/test_dir.hpp"
#include "smtp/client/test_peer.hpp"
#include "util/strings.hpp"

using namespace holdfast;
using namespace holdfast::verify;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Peer = smtp::client::test::Peer;

namespace {

// A primary that knows alice and bob; nobody gets 550, busy 450, slow no
// answer at all, and every line it saw is kept.
struct Primary {
    std::mutex mu;
    std::vector<std::string> lines;
    std::chrono::milliseconds rcpt_delay{0};

    std::string answer(const std::string& line) {
        {
            std::lock_guard l(mu);
            lines.push_back(line);
        }
        if (line == "CONNECT") return "220 primary.test ESMTP\r\n";
        if (util::istarts_with(line, "EHLO")) return "250-primary.test\r\n250 8BITMIME\r\n";
        if (util::istarts_with(line, "MAIL")) return "250 2.1.0 Ok\r\n";
        if (util::istarts_with(line, "RCPT")) {
            std::this_thread::sleep_for(rcpt_delay);
            std::string lower = util::ascii_lower(line);  // local parts as most servers see them
            if (lower.find("<alice@") != std::string::npos) return "250 2.1.5 Ok\r\n";
            if (lower.find("<bob@") != std::string::npos) return "250 2.1.5 Ok\r\n";
            if (lower.find("<busy@") != std::string::npos) return "450 4.2.1 Try later\r\n";
            if (lower.find("<slow@") != std::string::npos) return "-";
            return "550 5.1.1 <nobody>: user unknown\r\n";
        }
        if (line == "RSET") return "250 2.0.0 Ok\r\n";
        if (line == "QUIT") return "221 2.0.0 Bye\r\n";
        return "502 5.5.2 what?\r\n";
    }
    std::size_t count(std::string_view prefix) {
        std::lock_guard l(mu);
        return std::count_if(lines.begin(), lines.end(),
                             [&](const std::string& s) { return util::istarts_with(s, prefix); });
    }
};

Settings settings_for(std::uint16_t port, std::filesystem::path cache = {}) {
    Settings s;
    s.helo = "backup.test";
    s.self = delivery::Self{"backup.test", {}};
    config::BackupDomain b;
    b.domain = "customer.test";
    b.primary = "127.0.0.1:" + std::to_string(port);
    b.verify = true;
    s.backups.push_back(b);
    s.cache_file = std::move(cache);
    s.deadline = 2s;
    return s;
}

struct Fixture {
    dns::Resolver resolver{dns::ResolverOptions{{"127.0.0.1:9"}, 200ms, 1, 0}};
    asio::io_context io;
};

asio::awaitable<void> check_into(Verifier* v, std::string address, Answer* out) {
    *out = co_await v->check(address);
}

asio::awaitable<void> primary_into(Verifier* v, std::string domain, std::string ip, bool* out) {
    *out = co_await v->is_primary(domain, *util::parse_ip(ip));
}

Answer check(Fixture& f, Verifier& v, const std::string& address) {
    Answer a;
    asio::co_spawn(f.io, check_into(&v, address, &a), asio::detached);
    f.io.restart();
    f.io.run();
    return a;
}

}  // namespace

TEST(Verifier, AsksThePrimaryAndCachesGoodAndBad) {
    Primary primary;
    Peer peer([&](const std::string& l) { return primary.answer(l); });
    Fixture f;
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, settings_for(peer.port()));

    Answer a = check(f, v, "Alice@customer.test");
    EXPECT_EQ(a.verdict, Verdict::good) << a.detail;
    EXPECT_FALSE(a.cached);
    a = check(f, v, "nobody@customer.test");
    EXPECT_EQ(a.verdict, Verdict::bad) << a.detail;
    EXPECT_NE(a.detail.find("550 5.1.1"), std::string::npos) << a.detail;
    a = check(f, v, "busy@customer.test");
    EXPECT_EQ(a.verdict, Verdict::unknown) << a.detail;
    EXPECT_EQ(primary.count("RCPT"), 3u);
    // The probe never sends mail: MAIL FROM:<>, RCPT, RSET, QUIT, no DATA.
    EXPECT_EQ(primary.count("MAIL FROM:<>"), 3u);
    EXPECT_GE(primary.count("RSET"), 3u);
    EXPECT_EQ(primary.count("DATA"), 0u);

    // Cached answers (case-insensitively) need no probe; unknown is not cached.
    EXPECT_TRUE(check(f, v, "alice@CUSTOMER.test").cached);
    a = check(f, v, "nobody@customer.test");
    EXPECT_TRUE(a.cached);
    EXPECT_EQ(a.verdict, Verdict::bad);
    EXPECT_FALSE(check(f, v, "busy@customer.test").cached);
    EXPECT_EQ(primary.count("RCPT"), 4u);
}

TEST(Verifier, ConcurrentChecksOfOneAddressShareOneProbe) {
    Primary primary;
    primary.rcpt_delay = 300ms;
    Peer peer([&](const std::string& l) { return primary.answer(l); });
    Fixture f;
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, settings_for(peer.port()));
    std::vector<Answer> answers(5);
    for (auto& a : answers)
        asio::co_spawn(f.io, check_into(&v, "bob@customer.test", &a), asio::detached);
    f.io.run();
    for (const auto& a : answers) EXPECT_EQ(a.verdict, Verdict::good) << a.detail;
    EXPECT_EQ(primary.count("RCPT"), 1u);
    EXPECT_EQ(peer.connections(), 1);
}

TEST(Verifier, APrimaryThatDoesNotAnswerInTimeIsUnknownAtTheDeadline) {
    Primary primary;
    Peer peer([&](const std::string& l) { return primary.answer(l); });
    Fixture f;
    auto s = settings_for(peer.port());
    s.deadline = 300ms;
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, s);
    Answer a;
    asio::co_spawn(f.io, check_into(&v, "slow@customer.test", &a), asio::detached);
    auto start = std::chrono::steady_clock::now();
    // Run only until the waiting check is done: the probe itself goes on.
    while (a.detail.empty() && f.io.run_one()) {
    }
    EXPECT_EQ(a.verdict, Verdict::unknown);
    EXPECT_NE(a.detail.find("no answer"), std::string::npos) << a.detail;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(Verifier, KnownRecipientsSurviveThePrimaryGoingDownAndARestart) {
    queue::testing::TestDir dir;
    auto file = dir.path() / "verify-cache.json";
    std::uint16_t port;
    {
        Primary primary;
        Peer peer([&](const std::string& l) { return primary.answer(l); });
        port = peer.port();
        Fixture f;
        Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, settings_for(port, file));
        ASSERT_FALSE(v.load());
        EXPECT_EQ(check(f, v, "alice@customer.test").verdict, Verdict::good);
        EXPECT_EQ(check(f, v, "nobody@customer.test").verdict, Verdict::bad);
        // Written as soon as the answers came (not only at shutdown).
        EXPECT_TRUE(std::filesystem::exists(file));
    }
    // The primary is gone; a new verifier reads what the old one learnt.
    Fixture f;
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, settings_for(port, file));
    ASSERT_FALSE(v.load());
    Answer a = check(f, v, "alice@customer.test");
    EXPECT_EQ(a.verdict, Verdict::good);
    EXPECT_TRUE(a.cached);
    EXPECT_EQ(check(f, v, "nobody@customer.test").verdict, Verdict::bad);
    a = check(f, v, "carol@customer.test");
    EXPECT_EQ(a.verdict, Verdict::unknown);
    EXPECT_FALSE(a.cached);
}

TEST(Verifier, GoodAndBadAnswersExpireAsConfigured) {
    Primary primary;
    Peer peer([&](const std::string& l) { return primary.answer(l); });
    Fixture f;
    auto s = settings_for(peer.port());
    s.backups[0].verify_good_for = std::chrono::hours(24);
    s.backups[0].verify_bad_for = std::chrono::hours(1);
    auto now =
        std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
    s.clock = [now] { return *now; };
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, s);
    check(f, v, "alice@customer.test");
    check(f, v, "nobody@customer.test");
    *now += std::chrono::hours(2);
    EXPECT_TRUE(check(f, v, "alice@customer.test").cached);
    EXPECT_FALSE(check(f, v, "nobody@customer.test").cached);  // asked again
    *now += std::chrono::hours(23);
    EXPECT_FALSE(check(f, v, "alice@customer.test").cached);
}

TEST(Verifier, AMalformedCacheFileIsReportedAndIgnored) {
    queue::testing::TestDir dir;
    auto file = dir.path() / "verify-cache.json";
    std::ofstream(file) << "{not json";
    Fixture f;
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, settings_for(9, file));
    EXPECT_TRUE(v.load());
}

TEST(Verifier, KnowsThePrimaryByAddress) {
    Fixture f;
    Verifier v(f.io.get_executor(), f.io.get_executor(), f.resolver, settings_for(2626));
    bool yes = false, no = true, other = true;
    asio::co_spawn(f.io, primary_into(&v, "Customer.test", "127.0.0.1", &yes), asio::detached);
    asio::co_spawn(f.io, primary_into(&v, "customer.test", "127.0.0.2", &no), asio::detached);
    asio::co_spawn(f.io, primary_into(&v, "other.test", "127.0.0.1", &other), asio::detached);
    f.io.run();
    EXPECT_TRUE(yes);
    EXPECT_FALSE(no);
    EXPECT_FALSE(other);
}
