#include "smtp/server/stream.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace holdfast::smtp {
namespace asio = boost::asio;
using asio::redirect_error;
using asio::use_awaitable;

asio::awaitable<boost::system::error_code> Stream::start_tls(asio::ssl::context& ctx) {
    tls_.emplace(socket_, ctx);
    boost::system::error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                   redirect_error(use_awaitable, ec));
    co_return ec;
}

asio::awaitable<std::size_t> Stream::read_some(char* buf, std::size_t size,
                                               boost::system::error_code& ec) {
    if (tls_)
        co_return co_await tls_->async_read_some(asio::buffer(buf, size),
                                                 redirect_error(use_awaitable, ec));
    co_return co_await socket_.async_read_some(asio::buffer(buf, size),
                                               redirect_error(use_awaitable, ec));
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
