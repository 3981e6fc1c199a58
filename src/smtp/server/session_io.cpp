// The session's I/O: buffered reads into the framer, batched reply writes
// (one write per pipelined group), and the idle/session deadline.
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include "smtp/server/session.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;

namespace {
// After a timeout, how long the 421 may take before the socket is closed.
constexpr auto kGoodbyeGrace = std::chrono::seconds(10);
}  // namespace

void Session::send(const Reply& r) {
    r.append_wire(out_);
    count_error(r);
}

void Session::close_after(const Reply& r) {
    r.append_wire(out_);
    closing_ = true;
}

void Session::count_error(const Reply& r) {
    if (r.code < 400 || closing_) return;
    if (++errors_ >= config().limits.errors) {
        spdlog::info("client={} status=disconnected reason=\"too many errors ({})\"", client_text(),
                     errors_);
        close_after(
            Reply(421, "4.7.0", config().server.hostname + " Too many errors, closing connection"));
    }
}

void Session::touch() {
    auto idle = started_ + config().limits.session_timeout;
    deadline_ = std::min(std::chrono::steady_clock::now() + config().limits.idle_timeout, idle);
}

asio::awaitable<void> Session::flush() {
    if (out_.empty()) co_return;
    std::string data;
    data.swap(out_);
    boost::system::error_code ec;
    co_await stream_.write_all(data, ec);
    if (ec) closing_ = true;
}

asio::awaitable<bool> Session::read_more() {
    if (closing_) co_return false;
    touch();
    boost::system::error_code ec;
    std::string_view bytes = co_await stream_.read_some(ec);
    if (ec) {
        if (timed_out_) {
            spdlog::info("client={} status=disconnected reason=timeout", client_text());
            out_.clear();
            close_after(
                Reply(421, "4.4.2", config().server.hostname + " Timeout, closing connection"));
            co_await flush();
        }
        closing_ = true;
        co_return false;
    }
    framer_.feed(bytes);
    co_return true;
}

asio::awaitable<std::optional<std::string>> Session::read_line() {
    for (;;) {
        if (auto line = framer_.next()) {
            if (line->too_long || line->bare_cr_or_lf || line->bare_lf_ending || line->nul) {
                co_return std::nullopt;
            }
            co_return std::string(line->text);
        }
        co_await flush();
        if (!co_await read_more()) co_return std::nullopt;
    }
}

// Runs beside run() on the same strand. When the deadline passes it cancels
// the pending read, so run() can say 421 and leave; if even that stalls (a
// client that does not read), the socket is closed.
asio::awaitable<void> Session::watchdog() {
    auto self = shared_from_this();
    while (stream_.socket().is_open()) {
        timer_.expires_at(deadline_);
        boost::system::error_code ec;
        co_await timer_.async_wait(redirect_error(use_awaitable, ec));
        if (!stream_.socket().is_open()) break;
        if (std::chrono::steady_clock::now() < deadline_) continue;
        if (!timed_out_) {
            timed_out_ = true;
            deadline_ = std::chrono::steady_clock::now() + kGoodbyeGrace;
            stream_.socket().cancel(ec);
        } else {
            stream_.close();
        }
    }
}

}  // namespace holdfast::smtp
