// The resolver against a scripted UDP server on 127.0.0.1: each rcode and
// the silence of a dead server come out as distinct errors, through the
// coroutine front, with cancellation.
#include "dns/resolver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <thread>

#include "dns/awaitable.hpp"
#include "dns/message.hpp"
#include "dns/test_packets.hpp"
#include "dns/test_server.hpp"

namespace holdfast::dns {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::Packet;

// Answers by the first label of the question: mx, servfail, refused, nx,
// anything else an A record; "silent" gets nothing.
std::optional<std::vector<std::uint8_t>> scripted(const Message& m) {
    const Question& q = m.questions[0];
    std::string first = q.name.substr(0, q.name.find('.'));
    auto id = m.id;
    if (first == "silent") return std::nullopt;
    if (first == "servfail") return Packet(id, 2, 1, 0).question(q.name, q.type).b;
    if (first == "refused") return Packet(id, 5, 1, 0).question(q.name, q.type).b;
    if (first == "nx") {
        return Packet(id, 3, 1, 0, 1)
            .question(q.name, q.type)
            .rr("test", 6, 60, test::soa_rdata(60))
            .b;
    }
    if (first == "mx") {
        auto rdata = test::wire_name("mail.example.test");
        rdata.insert(rdata.begin(), {0, 5});
        return Packet(id, 0, 1, 1).question(q.name, q.type).rr(q.name, 15, 300, rdata).b;
    }
    return Packet(id, 0, 1, 1).question(q.name, q.type).rr(q.name, 1, 300, {127, 0, 0, 2}).b;
}

struct FakeServer : test::Server {
    FakeServer() : test::Server(scripted) {}
};

ResolverOptions options(const FakeServer& s) {
    ResolverOptions o;
    o.servers = {s.address()};
    o.timeout = 200ms;
    o.tries = 1;
    return o;
}

Result run_query(Resolver& r, std::string name, RrType type) {
    asio::io_context io;
    Result out;
    asio::co_spawn(io, query(r, std::move(name), type),
                   [&](std::exception_ptr, Result res) { out = res; });
    io.run();
    return out;
}

TEST(Resolver, ToldApartErrors) {
    FakeServer server;
    Resolver r(options(server));
    Result mx = run_query(r, "mx.test", RrType::mx);
    ASSERT_FALSE(mx.error) << mx.error.message();
    ASSERT_EQ(mx.answer.mx.size(), 1u);
    EXPECT_EQ(mx.answer.mx[0], (Mx{5, "mail.example.test"}));
    EXPECT_EQ(run_query(r, "nx.test", RrType::a).error, Errc::nxdomain);
    EXPECT_EQ(run_query(r, "servfail.test", RrType::a).error, Errc::server_failure);
    EXPECT_EQ(run_query(r, "refused.test", RrType::a).error, Errc::refused);
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(run_query(r, "silent.test", RrType::a).error, Errc::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(run_query(r, "bad\\000name", RrType::a).error.category(), dns_category());
}

TEST(Resolver, CachesWithTtl) {
    FakeServer server;
    Resolver r(options(server));
    EXPECT_FALSE(run_query(r, "a.test", RrType::a).error);
    int before = server.queries();
    Result again = run_query(r, "A.test.", RrType::a);
    EXPECT_FALSE(again.error);
    EXPECT_EQ(server.queries(), before);
    EXPECT_EQ(run_query(r, "nx.test", RrType::a).error, Errc::nxdomain);
    before = server.queries();
    EXPECT_EQ(run_query(r, "nx.test", RrType::a).error, Errc::nxdomain);
    EXPECT_EQ(server.queries(), before);
}

TEST(Resolver, CancelledByTimerThroughAwaitableOr) {
    using namespace asio::experimental::awaitable_operators;
    FakeServer server;
    ResolverOptions o = options(server);
    o.timeout = 3000ms;
    Resolver r(o);
    asio::io_context io;
    auto start = std::chrono::steady_clock::now();
    bool timer_won = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer t(co_await asio::this_coro::executor, 100ms);
            auto v =
                co_await (query(r, "silent.test", RrType::a) || t.async_wait(asio::use_awaitable));
            timer_won = v.index() == 1;
        },
        asio::detached);
    io.run();
    EXPECT_TRUE(timer_won);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(Resolver, ManyThreadsAtOnce) {
    FakeServer server;
    Resolver r(options(server));
    asio::io_context io;
    std::atomic<int> ok{0};
    for (int i = 0; i < 200; ++i) {
        asio::co_spawn(io, query(r, "a" + std::to_string(i) + ".test", RrType::a),
                       [&](std::exception_ptr, Result res) { ok += !res.error; });
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, 200);
}

TEST(Resolver, BadServerIsAStartupError) {
    ResolverOptions o;
    o.servers = {"dns.example:53"};
    EXPECT_THROW(Resolver{o}, std::runtime_error);
}

TEST(Resolver, DestructionCompletesOutstandingQueries) {
    FakeServer server;
    std::atomic<int> done{0};
    {
        ResolverOptions o = options(server);
        o.timeout = 5000ms;
        Resolver r(o);
        r.async_query("silent.test", RrType::a, [&](Result res) {
            EXPECT_EQ(res.error, Errc::cancelled);
            ++done;
        });
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(done, 1);
}

}  // namespace
}  // namespace holdfast::dns
