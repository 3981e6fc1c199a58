#pragma once
// Internal to the client (only session.cpp includes it): one TCP connection
// that may switch to TLS, with a deadline on every step. Errors come back as
// text for the per-recipient results; a failed step closes the connection.
//
// The deadlines of reads and writes are kept by one watchdog per connection
// (as the server's session does), not by a timer raced against each step:
// a step only moves the deadline, and the watchdog, which sleeps until the
// deadline it last saw, cancels the socket when a step outlives its own.
// Racing a timer (`||`) cost two coroutine frames, a timer set and
// cancelled, and a post per step: four steps per relayed message.
//
// The caller's executor must run one handler at a time (a thread of its
// own or a strand): the watchdog runs on it beside the caller.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/client/types.hpp"
#include "smtp/protocol/reply_parser.hpp"

namespace holdfast::smtp::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ReplyOrError {
    std::optional<Reply> reply;
    std::string error;  // "timed out after 5.0s", "connection closed by the server"
};

class Connection {
  public:
    Connection(asio::any_io_executor ex, asio::ssl::context& tls);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    asio::awaitable<std::string> connect(tcp::endpoint ep, Millis timeout);  // "" = connected
    // A unix-domain socket (no TLS on it). "" = connected.
    asio::awaitable<std::string> connect_local(const std::string& path, Millis timeout);
    asio::awaitable<ReplyOrError> read_reply(Millis timeout);
    asio::awaitable<std::string> write(std::string_view bytes, Millis timeout);  // "" = written
    asio::awaitable<std::string> handshake(Millis timeout);                      // "" = TLS on
    void close();

    bool is_open() const { return open_; }
    bool tls() const { return tls_; }

  private:
    // Shared with the watchdog, which may still be waiting on the timer
    // after the connection is gone.
    struct Watch {
        explicit Watch(asio::any_io_executor ex) : timer(ex) {}
        asio::steady_timer timer;
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max();
        std::chrono::steady_clock::time_point sleeping_until =
            std::chrono::steady_clock::time_point::max();
        bool expired = false;         // the step under way ran out of time
        Connection* owner = nullptr;  // null: closed or gone, the watchdog ends
    };
    static asio::awaitable<void> watchdog(std::shared_ptr<Watch> w);
    void start_watchdog();
    void arm(Millis timeout);  // the step that starts now has `timeout`
    void cancel_io();

    using IoResult = std::tuple<boost::system::error_code, std::size_t>;
    asio::awaitable<IoResult> read_some(char* buf, std::size_t size);
    asio::awaitable<IoResult> write_some(std::string_view bytes);

    asio::any_io_executor ex_;
    asio::ssl::stream<tcp::socket> stream_;
    std::optional<asio::local::stream_protocol::socket> local_;  // set: used instead of stream_
    ReplyParser parser_;
    std::shared_ptr<Watch> watch_;  // set while connected
    bool open_ = false;
    bool tls_ = false;
};

}  // namespace holdfast::smtp::client
