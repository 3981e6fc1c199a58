#pragma once
// One outbound SMTP connection (RFC 5321) carrying one or more messages:
//
//     auto opened = co_await Session::open(ex, "mx.example.org", {ip, 25}, options);
//     if (!opened.session) ... opened.status says why (deferred or failed)
//     Result r = co_await opened.session->send(message);   // per-recipient results
//     Result r2 = co_await opened.session->send(another);  // RSET, then the same connection
//     co_await opened.session->quit();
//
// EHLO with HELO fallback, opportunistic STARTTLS (certificate not verified;
// a failed handshake reconnects once without TLS), PIPELINING for MAIL and
// RCPT, SIZE / 8BITMIME / SMTPUTF8 parameters, the body and its final "." in
// one write, a deadline per stage (Options::timeouts). Only Asio's light
// awaitable/executor headers are included here.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "smtp/client/types.hpp"

namespace holdfast::smtp::client {

class Session;

// The outcome of Session::check_recipient.
struct RecipientCheck {
    Status status;
    bool at_rcpt = false;  // status is the reply to RCPT (not MAIL's, not the connection's)
};

struct Opened {
    std::unique_ptr<Session> session;  // null when the peer could not be used
    Status status;                     // why not (deferred or failed), or the banner
};

class Session {
  public:
    // `host` is the peer's name for logs and Remote-MTA ("" for a literal).
    static boost::asio::awaitable<Opened> open(boost::asio::any_io_executor ex, std::string host,
                                               Endpoint endpoint, Options options);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // One transaction. m.data must stay alive until this completes. A second
    // call on the same session resets the previous transaction first.
    boost::asio::awaitable<Result> send(Message m);
    // Asks whether `address` exists without sending mail (a backup MX's
    // recipient check): MAIL FROM:<>, RCPT TO:<address>, RSET. Returns the
    // RCPT reply's status, or MAIL's when MAIL is refused; code 0 when the
    // connection failed. The session stays usable for another check.
    boost::asio::awaitable<RecipientCheck> check_recipient(std::string address);
    // Polite end: QUIT, a short wait for its reply, close.
    boost::asio::awaitable<void> quit();

    bool usable() const;  // connected and in sync: another send() may follow
    bool tls() const;
    const Capabilities& capabilities() const;
    const std::string& remote() const;  // "mx.example.org[192.0.2.1]:25"

  private:
    struct Impl;
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::smtp::client
