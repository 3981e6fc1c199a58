#include "delivery/lmtp_client.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "smtp/client/session.hpp"
#include "util/net.hpp"

namespace holdfast::delivery {

namespace asio = boost::asio;
using smtp::client::Outcome;
using smtp::client::RecipientResult;
using smtp::client::Session;
using smtp::client::Status;
using namespace std::chrono_literals;

namespace {

std::optional<util::IpAddress> resolve(const std::string& host) {
    if (auto ip = util::parse_ip(host)) return ip;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return std::nullopt;
    char buf[NI_MAXHOST];
    std::optional<util::IpAddress> out;
    if (::getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) ==
        0) {
        out = util::parse_ip(buf);
    }
    ::freeaddrinfo(res);
    return out;
}

}  // namespace

std::optional<LmtpTarget> parse_lmtp_target(std::string_view target) {
    LmtpTarget t;
    if (target.starts_with("unix:")) {
        std::string_view path = target.substr(5);
        if (path.empty() || path.front() != '/') return std::nullopt;
        t.unix_socket = std::string(path);
        return t;
    }
    auto hp = util::parse_host_port(target);
    if (!hp) return std::nullopt;
    auto ip = resolve(hp->host);
    if (!ip) return std::nullopt;
    t.endpoint.address = *ip;
    t.endpoint.port = hp->port;
    return t;
}

// The RFC 5321 minimums are for the Internet; a local store that has not
// answered in a minute is stuck, and the queue will try again.
smtp::client::Timeouts LmtpSettings::default_timeouts() {
    smtp::client::Timeouts t;
    t.connect = 10s;
    t.banner = t.command = t.mail = t.rcpt = t.data_init = 60s;
    t.data_block = 60s;
    t.data_end = 5min;  // per recipient: a store may run a sieve script for each
    return t;
}

struct LmtpClient::Impl {
    LmtpSettings settings;
    asio::io_context io;
    std::map<std::string, std::unique_ptr<Session>> open;  // target -> connection

    smtp::client::Options options(const LmtpTarget& target) const {
        smtp::client::Options o;
        o.unix_socket = target.unix_socket;
        o.helo = settings.hostname;
        o.starttls = false;  // a local store; TLS on a unix socket makes no sense
        o.lmtp = true;
        o.timeouts = settings.timeouts;
        return o;
    }

    // Runs one coroutine to completion on this thread. Until it is done,
    // not until the io_context runs out of work: a kept connection's
    // deadline watchdog waits on its timer between calls.
    template <typename F>
    void run(F&& f) {
        io.restart();
        bool done = false;
        asio::co_spawn(io, std::forward<F>(f), [&done](std::exception_ptr) { done = true; });
        while (!done && io.run_one() > 0) {
        }
    }
};

namespace {

asio::awaitable<void> transact(LmtpClient::Impl* impl, std::string target, const LmtpTarget* where,
                               const smtp::client::Message* m, std::vector<RecipientResult>* out) {
    auto& slot = impl->open[target];
    // A kept connection the store closed meanwhile (idle timeout) is
    // noticed here or at RSET; one fresh connection is then tried.
    for (int tries = 0; tries < 2; ++tries) {
        bool reused = slot && slot->usable();
        if (!reused) {
            slot.reset();
            auto ex = co_await asio::this_coro::executor;
            auto opened =
                co_await Session::open(ex, "lmtp", where->endpoint, impl->options(*where));
            if (!opened.session) {
                // A store that refuses the session (a 5xx banner or LHLO:
                // not an LMTP server, or misconfigured) is no verdict on
                // the mail: it waits in the queue for the admin, unbounced.
                Status s = opened.status;
                if (s.outcome == Outcome::failed) s.outcome = Outcome::deferred;
                for (const auto& a : m->recipients) out->push_back({a, s});
                co_return;
            }
            slot = std::move(opened.session);
        }
        smtp::client::Result r = co_await slot->send(*m);
        bool untouched = true;  // nothing got past the connection
        for (const auto& rr : r.recipients) untouched = untouched && rr.status.code == 0;
        if (!r.reusable) slot.reset();
        if (reused && untouched && !r.reusable) continue;
        *out = std::move(r.recipients);
        co_return;
    }
}

asio::awaitable<void> quit_all(LmtpClient::Impl* impl) {
    for (auto& [target, s] : impl->open) {
        if (s) co_await s->quit();
    }
    impl->open.clear();
}

}  // namespace

LmtpClient::LmtpClient(LmtpSettings settings) : impl_(std::make_unique<Impl>()) {
    impl_->settings = std::move(settings);
}

LmtpClient::~LmtpClient() {
    close_idle();
}

std::vector<RecipientResult> LmtpClient::deliver(const std::string& target,
                                                 const smtp::client::Message& message) {
    std::vector<RecipientResult> out;
    auto where = parse_lmtp_target(target);
    if (!where) {
        Status s{Outcome::deferred, 0, "4.3.5",
                 fmt::format("LMTP target \"{}\" cannot be used (unknown host?)", target)};
        for (const auto& a : message.recipients) out.push_back({a, s});
        return out;
    }
    impl_->run(transact(impl_.get(), target, &*where, &message, &out));
    return out;
}

void LmtpClient::close_idle() {
    if (impl_->open.empty()) return;
    impl_->run(quit_all(impl_.get()));
}

}  // namespace holdfast::delivery
