#include "relaytest/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "util/strings.hpp"

namespace holdfast::relaytest {

using namespace asio::experimental::awaitable_operators;
using asio::as_tuple;
using asio::use_awaitable;

Connection::Connection(asio::any_io_executor ex, asio::ssl::context& tls, Transcript& transcript,
                       int session, std::chrono::milliseconds timeout, Clock::time_point deadline)
    : ex_(ex),
      stream_(ex, tls),
      transcript_(transcript),
      session_(session),
      timeout_(timeout),
      deadline_(deadline) {}

// The per-step timeout, shortened so that no step outlives the whole test.
std::chrono::milliseconds Connection::budget() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(timeout_, left));
}

std::string Connection::timeout_text() const {
    if (Clock::now() >= deadline_) return "overall time limit reached";
    return fmt::format("timeout: no answer within {:.1f}s", timeout_.count() / 1000.0);
}

asio::awaitable<std::string> Connection::connect(const std::vector<tcp::endpoint>& endpoints,
                                                 std::optional<asio::ip::address> source) {
    std::string last = "no address to connect to";
    for (const tcp::endpoint& ep : endpoints) {
        if (source && source->is_v4() != ep.address().is_v4()) {
            last = "no address of the same family as --source";
            continue;
        }
        auto& sock = stream_.next_layer();
        boost::system::error_code ec;
        sock.close(ec);
        sock.open(ep.protocol(), ec);
        if (!ec && source) sock.bind(tcp::endpoint(*source, 0), ec);
        if (ec) {
            last = fmt::format("cannot use local address: {}", ec.message());
            continue;
        }
        transcript_.add(session_, Direction::note,
                        fmt::format("connecting to {}:{}", ep.address().to_string(), ep.port()));
        asio::steady_timer timer(ex_, budget());
        auto r = co_await (sock.async_connect(ep, as_tuple(use_awaitable)) ||
                           timer.async_wait(as_tuple(use_awaitable)));
        if (r.index() == 1) {
            last = "connect " + timeout_text();
        } else if (auto [cec] = std::get<0>(r); cec) {
            last = fmt::format("connect: {}", cec.message());
        } else {
            remote_ = ep;
            boost::system::error_code lec;
            auto local = sock.local_endpoint(lec);
            sock.set_option(tcp::no_delay(true), lec);
            transcript_.add(session_, Direction::note,
                            fmt::format("connected from {}", local.address().to_string()));
            co_return "";
        }
        transcript_.add(session_, Direction::note, last);
    }
    co_return last;
}

// Plain member coroutines rather than lambdas: GCC 12 miscompiles lambda
// coroutines that capture (the frame frees a bad pointer).
asio::awaitable<Connection::IoResult> Connection::read_some(asio::mutable_buffer buf) {
    if (tls_) co_return co_await stream_.async_read_some(buf, as_tuple(use_awaitable));
    co_return co_await stream_.next_layer().async_read_some(buf, as_tuple(use_awaitable));
}

asio::awaitable<Connection::IoResult> Connection::write_bytes(std::string_view bytes) {
    if (tls_)
        co_return co_await asio::async_write(stream_, asio::buffer(bytes), as_tuple(use_awaitable));
    co_return co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes),
                                         as_tuple(use_awaitable));
}

asio::awaitable<ReplyOrError> Connection::read_reply() {
    std::array<char, 4096> buf;
    for (;;) {
        auto r = parser_.next();
        if (r.reply) {
            transcript_.add(session_, Direction::server, r.raw);
            co_return ReplyOrError{std::move(r.reply), ""};
        }
        if (r.error != smtp::ReplyError::none) {
            std::string e = fmt::format("malformed reply: {}", smtp::describe(r.error));
            transcript_.add(session_, Direction::note, e);
            co_return ReplyOrError{std::nullopt, e};
        }
        if (closed_) co_return ReplyOrError{std::nullopt, "connection already closed"};
        asio::steady_timer timer(ex_, budget());
        auto res =
            co_await (read_some(asio::buffer(buf)) || timer.async_wait(as_tuple(use_awaitable)));
        std::string e;
        if (res.index() == 1) {
            e = timeout_text();
        } else {
            auto [ec, n] = std::get<0>(res);
            if (n > 0) parser_.feed(std::string_view(buf.data(), n));
            if (!ec) continue;
            if (n > 0) continue;  // use what arrived; the error shows on the next read
            if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
                e = "connection closed by the server";
            } else if (ec == asio::error::connection_reset) {
                e = "connection closed by the server (reset)";
            } else {
                e = fmt::format("read: {}", ec.message());
            }
            if (parser_.has_partial()) e += " (in the middle of a reply)";
        }
        transcript_.add(session_, Direction::note, e);
        close();
        co_return ReplyOrError{std::nullopt, e};
    }
}

asio::awaitable<std::string> Connection::write_all(std::string_view bytes) {
    if (closed_) co_return "connection already closed";
    asio::steady_timer timer(ex_, budget());
    auto res = co_await (write_bytes(bytes) || timer.async_wait(as_tuple(use_awaitable)));
    std::string e;
    if (res.index() == 1) {
        e = "write " + timeout_text();
    } else if (auto [ec, n] = std::get<0>(res);
               ec == asio::error::broken_pipe || ec == asio::error::connection_reset) {
        e = "connection closed by the server (while we wrote)";
    } else if (ec) {
        e = fmt::format("write: {}", ec.message());
    }
    if (!e.empty()) {
        transcript_.add(session_, Direction::note, e);
        close();
    }
    co_return e;
}

asio::awaitable<ReplyOrError> Connection::command(std::string_view line) {
    transcript_.add(session_, Direction::client, line);
    std::string wire = std::string(line) + "\r\n";
    if (std::string e = co_await write_all(wire); !e.empty())
        co_return ReplyOrError{std::nullopt, e};
    co_return co_await read_reply();
}

asio::awaitable<std::string> Connection::send_raw(std::string_view bytes,
                                                  std::string_view summary) {
    transcript_.add(session_, Direction::client, summary);
    co_return co_await write_all(bytes);
}

asio::awaitable<std::string> Connection::handshake(const std::string& sni) {
    if (!sni.empty()) SSL_set_tlsext_host_name(stream_.native_handle(), sni.c_str());
    asio::steady_timer timer(ex_, budget());
    auto res = co_await (
        stream_.async_handshake(asio::ssl::stream_base::client, as_tuple(use_awaitable)) ||
        timer.async_wait(as_tuple(use_awaitable)));
    std::string e;
    if (res.index() == 1) {
        e = "TLS handshake " + timeout_text();
    } else if (auto [ec] = std::get<0>(res); ec) {
        e = fmt::format("TLS handshake failed: {}", ec.message());
    }
    if (!e.empty()) {
        transcript_.add(session_, Direction::note, e);
        close();
        co_return e;
    }
    tls_ = true;
    parser_ = smtp::ReplyParser();  // nothing from before TLS may be read after it
    const SSL* ssl = stream_.native_handle();
    transcript_.add(
        session_, Direction::note,
        fmt::format("TLS established: {} {} (certificate not verified: we probe, not deliver)",
                    SSL_get_version(ssl), SSL_get_cipher_name(ssl)));
    co_return "";
}

void Connection::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.next_layer().close(ec);
}

}  // namespace holdfast::relaytest
