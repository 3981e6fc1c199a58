#include <fmt/format.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "scan/clients.hpp"

namespace holdfast::scan {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kMaxReplyBody = 1024 * 1024;  // a JSON verdict, however many symbols
constexpr std::size_t kMaxIdle = 64;                // kept-alive connections in all
}  // namespace

RspamdClient::RspamdClient(asio::any_io_executor ex, std::size_t connections)
    : ex_(ex), limiter_(ex, connections) {}

std::optional<Socket> RspamdClient::take_idle(const std::string& target) {
    std::lock_guard lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if (it->first == target) {
            Socket s = std::move(it->second);
            idle_.erase(it);
            return s;
        }
    }
    return std::nullopt;
}

void RspamdClient::give_back(const std::string& target, Socket socket) {
    std::lock_guard lock(mu_);
    if (idle_.size() >= kMaxIdle) idle_.pop_front();
    idle_.emplace_back(target, std::move(socket));
}

asio::awaitable<RspamdReply> RspamdClient::post(Socket& socket, bool& keep,
                                                const std::string& target, const Source& source,
                                                const RspamdEnvelope& envelope) {
    http::request<http::empty_body> req{http::verb::post, "/checkv2", 11};
    req.set(http::field::host, target.starts_with("unix:") ? "localhost" : target);
    for (const auto& [name, value] : rspamd_headers(envelope)) req.insert(name, value);
    req.set(http::field::content_length, std::to_string(source.size()));
    req.keep_alive(true);
    http::request_serializer<http::empty_body> sr(req);
    co_await http::async_write_header(socket, sr, asio::use_awaitable);
    co_await send_source(socket, source, false);

    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(kMaxReplyBody);
    co_await http::async_read(socket, buffer, parser, asio::use_awaitable);
    auto res = parser.release();
    keep = res.keep_alive() && buffer.size() == 0;
    if (res.result() != http::status::ok) {
        RspamdReply r;
        r.error = fmt::format("rspamd: HTTP {}", res.result_int());
        co_return r;
    }
    co_return parse_rspamd_reply(res.body());
}

asio::awaitable<RspamdReply> RspamdClient::exchange(const std::string& target, const Source& source,
                                                    const RspamdEnvelope& envelope) {
    auto permit = co_await limiter_.acquire();
    auto ep = endpoint_of(target);
    if (!ep) {
        RspamdReply bad;
        bad.error = "bad address " + target;
        co_return bad;
    }
    for (int attempt = 0;; ++attempt) {
        std::optional<Socket> socket = attempt == 0 ? take_idle(target) : std::nullopt;
        const bool reused = socket.has_value();
        if (!socket) {
            socket.emplace(ex_);
            co_await socket->async_connect(*ep, asio::use_awaitable);
        }
        try {
            bool keep = false;
            RspamdReply r = co_await post(*socket, keep, target, source, envelope);
            if (keep) give_back(target, std::move(*socket));
            co_return r;
        } catch (const boost::system::system_error& e) {
            // A kept-alive connection the server closed meanwhile: once more, afresh.
            if (!reused || e.code() == asio::error::operation_aborted) throw;
        }
    }
}

asio::awaitable<SpamResult> RspamdClient::scan(std::string target, std::chrono::seconds timeout,
                                               const Source& source, RspamdEnvelope envelope) {
    SpamResult r;
    auto start = Clock::now();
    try {
        auto reply = co_await within(exchange(target, source, envelope), timeout);
        if (!reply) {
            r.status = Status::error;
            r.error = fmt::format("timeout after {}s", timeout.count());
        } else {
            r.reply = std::move(*reply);
            r.status = r.reply.ok ? Status::ok : Status::error;
            if (!r.reply.ok) r.error = r.reply.error;
        }
    } catch (const std::exception& e) {
        r.status = Status::error;
        r.error = e.what();
    }
    r.took = std::chrono::duration_cast<Millis>(Clock::now() - start);
    co_return r;
}

}  // namespace holdfast::scan
