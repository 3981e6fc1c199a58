#pragma once
// One SMTP client connection for the prober: connect (optionally from a
// chosen local address), read replies, send commands, STARTTLS — every step
// bounded by a timeout and by the test's overall deadline, every byte in
// the transcript. The target's certificate is not verified: we probe, we do
// not deliver.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "relaytest/transcript.hpp"
#include "smtp/protocol/reply_parser.hpp"

namespace holdfast::relaytest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ReplyOrError {
    std::optional<smtp::Reply> reply;
    std::string error;  // "timeout after 5s", "connection closed by the server", ...
    bool ok() const { return reply.has_value(); }
};

class Connection {
  public:
    using Clock = std::chrono::steady_clock;
    Connection(asio::any_io_executor ex, asio::ssl::context& tls, Transcript& transcript,
               int session, std::chrono::milliseconds timeout, Clock::time_point deadline);

    // Tries each endpoint in turn; "" on success, else what went wrong.
    asio::awaitable<std::string> connect(const std::vector<tcp::endpoint>& endpoints,
                                         std::optional<asio::ip::address> source);
    asio::awaitable<ReplyOrError> read_reply();
    // Sends one command line (CRLF added) and reads the reply.
    asio::awaitable<ReplyOrError> command(std::string_view line);
    // Sends raw bytes (a message body); the transcript gets `summary` instead.
    asio::awaitable<std::string> send_raw(std::string_view bytes, std::string_view summary);
    // TLS handshake after a 220 to STARTTLS; "" on success.
    asio::awaitable<std::string> handshake(const std::string& sni);
    void close();

    bool tls() const { return tls_; }
    const tcp::endpoint& remote() const { return remote_; }
    void note(std::string_view text) { transcript_.add(session_, Direction::note, text); }

  private:
    std::chrono::milliseconds budget() const;
    std::string timeout_text() const;
    asio::awaitable<std::string> write_all(std::string_view bytes);
    using IoResult = std::tuple<boost::system::error_code, std::size_t>;
    asio::awaitable<IoResult> read_some(asio::mutable_buffer buf);
    asio::awaitable<IoResult> write_bytes(std::string_view bytes);

    asio::any_io_executor ex_;
    asio::ssl::stream<tcp::socket> stream_;
    Transcript& transcript_;
    int session_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_;
    smtp::ReplyParser parser_;
    tcp::endpoint remote_;
    bool tls_ = false;
    bool closed_ = false;
};

}  // namespace holdfast::relaytest
