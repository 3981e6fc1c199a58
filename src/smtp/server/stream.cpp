#include "smtp/server/stream.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace holdfast::smtp {
namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;

Stream::Stream(Socket socket) : socket_(std::move(socket)) {
    // For read_some's wait-then-read; async operations are not affected.
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
}

asio::awaitable<boost::system::error_code> Stream::start_tls(asio::ssl::context& ctx) {
    tls_.emplace(socket_, ctx);
    boost::system::error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                   redirect_error(use_awaitable, ec));
    co_return ec;
}

namespace {
constexpr std::size_t kReadChunk = 16 * 1024;

// The calling thread's read buffer. Asked for after every co_await, from a
// function the compiler cannot see into: a thread_local named in the
// coroutine itself may keep the address (and the "initialized" check) of
// the thread the coroutine ran on before its co_await, and a session may
// resume on the other I/O thread: it then read into that thread's buffer,
// or into an empty one (a read of 0 bytes, again and again).
[[gnu::noinline]] asio::mutable_buffer thread_read_buffer() {
    thread_local std::vector<char> buffer(kReadChunk);
    return asio::buffer(buffer);
}
}  // namespace

asio::awaitable<std::string_view> Stream::read_some(boost::system::error_code& ec) {
    if (tls_) {
        tls_buffer_.resize(kReadChunk);
        std::size_t n = co_await tls_->async_read_some(asio::buffer(tls_buffer_),
                                                       redirect_error(use_awaitable, ec));
        co_return std::string_view(tls_buffer_.data(), n);
    }
    for (;;) {
        co_await socket_.async_wait(Socket::wait_read, redirect_error(use_awaitable, ec));
        if (ec) co_return std::string_view();
        // Readable: data (or EOF) is there, so this does not block. No
        // co_await between this read and the caller's use of the view.
        asio::mutable_buffer buffer = thread_read_buffer();
        std::size_t n = socket_.read_some(buffer, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            ec.clear();  // a spurious wake-up
            continue;
        }
        co_return std::string_view(static_cast<const char*>(buffer.data()), n);
    }
}

asio::awaitable<void> Stream::write_all(std::string_view data, boost::system::error_code& ec) {
    if (tls_) {
        co_await asio::async_write(*tls_, asio::buffer(data), redirect_error(use_awaitable, ec));
        co_return;
    }
    // A reply almost always fits the socket's buffer: send it here and now.
    // Asio's async_write would do the same send, then post its completion
    // through the scheduler (waking another I/O thread) before the session
    // could go on. Only a full buffer waits for writability.
    const int fd = socket_.native_handle();
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ec.assign(errno, boost::system::system_category());
            co_return;
        }
        co_await socket_.async_wait(Socket::wait_write, redirect_error(use_awaitable, ec));
        if (ec) co_return;
    }
}

// close alone ends the connection as shutdown-then-close did (the
// descriptor is not shared): one syscall fewer per connection.
void Stream::close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

}  // namespace holdfast::smtp
