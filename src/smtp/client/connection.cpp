#include "smtp/client/connection.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace holdfast::smtp::client {

using namespace asio::experimental::awaitable_operators;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

std::string timed_out(Millis t) {
    return fmt::format("timed out after {:.1f}s", t.count() / 1000.0);
}

// Connects `socket` to `ep` within `timeout`: "" or why not.
template <class Socket, class Endpoint>
asio::awaitable<std::string> connect_within(Socket& socket, Endpoint ep, Millis timeout,
                                            asio::any_io_executor ex) {
    asio::steady_timer timer(ex, timeout);
    auto r = co_await (socket.async_connect(ep, as_tuple(use_awaitable)) ||
                       timer.async_wait(as_tuple(use_awaitable)));
    if (r.index() == 1) co_return timed_out(timeout);
    if (auto [ec] = std::get<0>(r); ec) co_return ec.message();
    co_return "";
}

}  // namespace

Connection::Connection(asio::any_io_executor ex, asio::ssl::context& tls)
    : ex_(ex), stream_(ex, tls) {}

Connection::~Connection() {
    close();
}

void Connection::start_watchdog() {
    watch_ = std::make_shared<Watch>(ex_);
    watch_->owner = this;
    asio::co_spawn(ex_, watchdog(watch_), asio::detached);
}

asio::awaitable<void> Connection::watchdog(std::shared_ptr<Watch> w) {
    while (w->owner) {
        w->sleeping_until = w->deadline;
        w->timer.expires_at(w->deadline);
        co_await w->timer.async_wait(as_tuple(use_awaitable));
        if (!w->owner) break;
        // Moved later meanwhile (or cancelled by arm() for an earlier one).
        if (std::chrono::steady_clock::now() < w->deadline) continue;
        w->expired = true;
        w->deadline = std::chrono::steady_clock::time_point::max();
        w->owner->cancel_io();
    }
}

void Connection::arm(Millis timeout) {
    watch_->expired = false;
    watch_->deadline = std::chrono::steady_clock::now() + timeout;
    // The watchdog wakes at the deadline it saw, and finds this one later
    // (the usual case: no timer call at all). An earlier one (after a
    // shorter timeout, or after the watchdog went to sleep for good) needs
    // a wake-up now.
    if (watch_->deadline < watch_->sleeping_until) watch_->timer.cancel();
}

void Connection::cancel_io() {
    boost::system::error_code ec;
    if (local_) local_->cancel(ec);
    stream_.next_layer().cancel(ec);
}

asio::awaitable<std::string> Connection::connect(tcp::endpoint ep, Millis timeout) {
    auto& sock = stream_.next_layer();
    std::string error = co_await connect_within(sock, ep, timeout, ex_);
    if (!error.empty()) {
        close();
        co_return error;
    }
    open_ = true;
    start_watchdog();
    // The body and its final "." go out in one write, but the commands that
    // follow are small: Nagle plus the peer's delayed ACK would cost 40 ms.
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    co_return "";
}

asio::awaitable<std::string> Connection::connect_local(const std::string& path, Millis timeout) {
    local_.emplace(ex_);
    // Named first: GCC 12 destroys temporaries inside a co_await expression twice.
    asio::local::stream_protocol::endpoint ep(path);
    std::string error = co_await connect_within(*local_, ep, timeout, ex_);
    if (!error.empty()) {
        close();
        co_return error;
    }
    open_ = true;
    start_watchdog();
    co_return "";
}

asio::awaitable<Connection::IoResult> Connection::read_some(char* buf, std::size_t size) {
    if (local_)
        co_return co_await local_->async_read_some(asio::buffer(buf, size),
                                                   as_tuple(use_awaitable));
    if (tls_)
        co_return co_await stream_.async_read_some(asio::buffer(buf, size),
                                                   as_tuple(use_awaitable));
    co_return co_await stream_.next_layer().async_read_some(asio::buffer(buf, size),
                                                            as_tuple(use_awaitable));
}

asio::awaitable<Connection::IoResult> Connection::write_some(std::string_view bytes) {
    if (local_)
        co_return co_await asio::async_write(*local_, asio::buffer(bytes), as_tuple(use_awaitable));
    if (tls_)
        co_return co_await asio::async_write(stream_, asio::buffer(bytes), as_tuple(use_awaitable));
    co_return co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes),
                                         as_tuple(use_awaitable));
}

asio::awaitable<ReplyOrError> Connection::read_reply(Millis timeout) {
    std::array<char, 4096> buf;
    if (open_) arm(timeout);
    for (;;) {
        auto r = parser_.next();
        if (r.reply) co_return ReplyOrError{std::move(r.reply), ""};
        if (r.error != ReplyError::none) {
            close();
            co_return ReplyOrError{std::nullopt,
                                   fmt::format("malformed reply: {}", describe(r.error))};
        }
        if (!open_) co_return ReplyOrError{std::nullopt, "connection already closed"};
        // Checked before each read too: bytes that came in at the deadline
        // may still complete the reply (above), but no read starts after it.
        if (watch_->expired) {
            close();
            co_return ReplyOrError{std::nullopt, timed_out(timeout)};
        }
        auto [ec, n] = co_await read_some(buf.data(), buf.size());
        if (n > 0) {
            parser_.feed(std::string_view(buf.data(), n));
            continue;
        }
        if (!ec || watch_->expired) continue;  // cancelled by the watchdog: said above
        close();
        std::string e = (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
                            ? "connection closed by the server"
                            : ec.message();
        co_return ReplyOrError{std::nullopt, e};
    }
}

asio::awaitable<std::string> Connection::write(std::string_view bytes, Millis timeout) {
    if (!open_) co_return "connection already closed";
    arm(timeout);
    auto [ec, n] = co_await write_some(bytes);
    if (!ec) co_return "";
    close();
    co_return watch_->expired ? timed_out(timeout) : ec.message();
}

asio::awaitable<std::string> Connection::handshake(Millis timeout) {
    asio::steady_timer timer(ex_, timeout);
    auto res = co_await (
        stream_.async_handshake(asio::ssl::stream_base::client, as_tuple(use_awaitable)) ||
        timer.async_wait(as_tuple(use_awaitable)));
    std::string e;
    if (res.index() == 1) {
        e = timed_out(timeout);
    } else if (auto [ec] = std::get<0>(res); ec) {
        e = ec.message();
    }
    if (!e.empty()) {
        close();
        co_return e;
    }
    tls_ = true;
    parser_ = ReplyParser();  // nothing read before TLS may count after it (RFC 3207 4.2)
    co_return "";
}

void Connection::close() {
    open_ = false;
    if (watch_ && watch_->owner) {
        watch_->owner = nullptr;
        watch_->timer.cancel();
    }
    boost::system::error_code ec;
    if (local_) {
        local_->shutdown(asio::local::stream_protocol::socket::shutdown_both, ec);
        local_->close(ec);
    }
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.next_layer().close(ec);
}

}  // namespace holdfast::smtp::client
