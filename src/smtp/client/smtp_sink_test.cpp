// Against a real peer: Postfix's smtp-sink on a loopback port.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "smtp/client/session.hpp"

using namespace holdfast;
using namespace holdfast::smtp::client;
using namespace std::chrono_literals;
namespace asio = boost::asio;

extern char** environ;

namespace {

constexpr const char* kSink = "/usr/sbin/smtp-sink";

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepting(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

class Sink {
  public:
    explicit Sink(std::vector<std::string> flags) : port_(free_port()) {
        std::vector<std::string> args{kSink};
        if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
        args.insert(args.end(), flags.begin(), flags.end());
        args.push_back("127.0.0.1:" + std::to_string(port_));
        args.push_back("16");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, kSink, nullptr, nullptr, argv.data(), environ) != 0) pid_ = 0;
        for (int i = 0; i < 100 && pid_ && !accepting(port_); ++i)
            std::this_thread::sleep_for(20ms);
    }
    ~Sink() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    bool running() const { return pid_ > 0; }
    Endpoint endpoint() const { return {*util::parse_ip("127.0.0.1"), port_}; }

  private:
    std::uint16_t port_;
    pid_t pid_ = 0;
};

asio::awaitable<void> deliver(std::vector<Result>* out, Status* open, Endpoint ep,
                              std::vector<Message> messages) {
    Options o;
    o.helo = "backup.test";
    o.timeouts.connect = o.timeouts.banner = o.timeouts.data_end = 5s;
    auto opened = co_await Session::open(co_await asio::this_coro::executor, "sink.test", ep, o);
    *open = opened.status;
    if (!opened.session) co_return;
    for (auto& m : messages) out->push_back(co_await opened.session->send(m));
    co_await opened.session->quit();
}

std::vector<Result> run(const Sink& sink, std::vector<Message> messages, Status& open) {
    asio::io_context io;
    std::vector<Result> out;
    asio::co_spawn(io, deliver(&out, &open, sink.endpoint(), std::move(messages)), asio::detached);
    io.run();
    return out;
}

}  // namespace

TEST(SmtpSink, DeliversSeveralMessagesOnOneConnection) {
    if (::access(kSink, X_OK) != 0) GTEST_SKIP() << "no smtp-sink";
    Sink sink({});
    ASSERT_TRUE(sink.running());
    Status open;
    auto r = run(sink,
                 {Message{"s@src.test", {"a@dst.test", "b@dst.test"}, "Subject: 1\r\n\r\nx\r\n"},
                  Message{"", {"c@dst.test"}, "Subject: 2\r\n\r\n.y\r\n"}},
                 open);
    ASSERT_EQ(open.outcome, Outcome::delivered) << open.text;
    ASSERT_EQ(r.size(), 2u);
    for (const auto& res : r) {
        for (const auto& rr : res.recipients)
            EXPECT_EQ(rr.status.outcome, Outcome::delivered) << rr.status.text;
    }
    EXPECT_TRUE(r[1].reusable);
}

TEST(SmtpSink, HardAndSoftRefusals) {
    if (::access(kSink, X_OK) != 0) GTEST_SKIP() << "no smtp-sink";
    Sink hard({"-f", "RCPT"});
    Sink soft({"-r", "."});
    ASSERT_TRUE(hard.running() && soft.running());
    Status open;
    auto h = run(hard, {Message{"s@src.test", {"a@dst.test"}, "x\r\n"}}, open);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].recipients[0].status.outcome, Outcome::failed);
    EXPECT_EQ(h[0].recipients[0].status.code / 100, 5);
    auto s = run(soft, {Message{"s@src.test", {"a@dst.test"}, "x\r\n"}}, open);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].recipients[0].status.outcome, Outcome::deferred);
    EXPECT_EQ(s[0].recipients[0].status.code / 100, 4);
}

// The final "." leaves with the body and TCP_NODELAY is set: no 40 ms
// Nagle / delayed-ACK stall per message (100 messages would take 4 s).
TEST(SmtpSink, NoStallPerMessage) {
    if (::access(kSink, X_OK) != 0) GTEST_SKIP() << "no smtp-sink";
    Sink sink({});
    ASSERT_TRUE(sink.running());
    std::string body = "Subject: speed\r\n\r\n" + std::string(2000, 'x') + "\r\n";
    std::vector<Message> messages(100, Message{"s@src.test", {"a@dst.test"}, body});
    Status open;
    auto start = std::chrono::steady_clock::now();
    auto r = run(sink, messages, open);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(r.size(), 100u);
    for (const auto& res : r) EXPECT_EQ(res.recipients[0].status.outcome, Outcome::delivered);
    EXPECT_LT(took, 3s);  // about 0.1 s here; a stall per message would be 4 s
}
