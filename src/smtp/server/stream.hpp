#pragma once
// A TCP connection that may switch to TLS mid-session (STARTTLS) or start
// with it (submissions). The session reads and writes through this and
// never cares which it is.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace holdfast::smtp {

class Stream {
  public:
    using Socket = boost::asio::ip::tcp::socket;
    explicit Stream(Socket socket);

    Socket& socket() { return socket_; }
    bool tls_active() const { return tls_.has_value(); }

    // Server-side handshake; afterwards every read and write is encrypted.
    boost::asio::awaitable<boost::system::error_code> start_tls(boost::asio::ssl::context& ctx);
    // The next bytes from the peer. The view is valid until the caller's
    // next co_await: consume (copy) it at once. Plain TCP reads wait for
    // readability first and then read into a buffer of the I/O thread, so
    // an idle session holds no read buffer at all (10,000 idle sessions
    // must fit in little memory); TLS reads use a buffer of the stream's own.
    boost::asio::awaitable<std::string_view> read_some(boost::system::error_code& ec);
    boost::asio::awaitable<void> write_all(std::string_view data, boost::system::error_code& ec);
    void close();

  private:
    Socket socket_;
    std::optional<boost::asio::ssl::stream<Socket&>> tls_;
    std::vector<char> tls_buffer_;  // allocated at STARTTLS
};

}  // namespace holdfast::smtp
