#pragma once
// A TCP connection that may switch to TLS mid-session (STARTTLS) or start
// with it (submissions). The session reads and writes through this and
// never cares which it is.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <optional>
#include <string_view>

namespace holdfast::smtp {

class Stream {
  public:
    using Socket = boost::asio::ip::tcp::socket;
    explicit Stream(Socket socket) : socket_(std::move(socket)) {}

    Socket& socket() { return socket_; }
    bool tls_active() const { return tls_.has_value(); }

    // Server-side handshake; afterwards every read and write is encrypted.
    boost::asio::awaitable<boost::system::error_code> start_tls(boost::asio::ssl::context& ctx);
    boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size,
                                                  boost::system::error_code& ec);
    boost::asio::awaitable<void> write_all(std::string_view data, boost::system::error_code& ec);
    void close();

  private:
    Socket socket_;
    std::optional<boost::asio::ssl::stream<Socket&>> tls_;
};

}  // namespace holdfast::smtp
