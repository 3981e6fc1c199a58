#include "smtp/server/stream.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

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
}  // namespace

asio::awaitable<std::string_view> Stream::read_some(boost::system::error_code& ec) {
    if (tls_) {
        tls_buffer_.resize(kReadChunk);
        std::size_t n = co_await tls_->async_read_some(asio::buffer(tls_buffer_),
                                                       redirect_error(use_awaitable, ec));
        co_return std::string_view(tls_buffer_.data(), n);
    }
    thread_local std::vector<char> buffer(kReadChunk);
    for (;;) {
        co_await socket_.async_wait(Socket::wait_read, redirect_error(use_awaitable, ec));
        if (ec) co_return std::string_view();
        // Readable: data (or EOF) is there, so this does not block. No
        // co_await between this read and the caller's use of the view.
        std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            ec.clear();  // a spurious wake-up
            continue;
        }
        co_return std::string_view(buffer.data(), n);
    }
}

asio::awaitable<void> Stream::write_all(std::string_view data, boost::system::error_code& ec) {
    if (tls_) {
        co_await asio::async_write(*tls_, asio::buffer(data), redirect_error(use_awaitable, ec));
    } else {
        co_await asio::async_write(socket_, asio::buffer(data), redirect_error(use_awaitable, ec));
    }
}

void Stream::close() {
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace holdfast::smtp
