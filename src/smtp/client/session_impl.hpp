#pragma once
// Internal to the client: the state behind a Session, shared by
// session.cpp (connect, banner, EHLO, STARTTLS) and transaction.cpp.
#include <fmt/format.h>

#include <optional>

#include "smtp/client/connection.hpp"
#include "smtp/client/session.hpp"

namespace holdfast::smtp::client {

struct Session::Impl {
    Impl(asio::any_io_executor ex, const std::string& host, Endpoint ep, Options o);

    asio::awaitable<Status> start(bool try_tls);
    asio::awaitable<Status> hello();
    // Writes one command line, reads its reply; a transport error is a
    // deferral in our own words.
    asio::awaitable<Status> command(std::string line, Millis timeout, std::string_view stage);
    asio::awaitable<Status> exchange(std::string_view bytes, Millis timeout,
                                     std::string_view stage);
    asio::awaitable<Result> transact(const Message& m);
    asio::awaitable<void> pipeline(const Message& m, std::size_t size, bool reset, Result& result,
                                   std::optional<Status>& data_reply);
    asio::awaitable<void> lmtp_replies(Result& result);
    Status lost(std::string_view stage, const std::string& error);
    // The peer named itself options.helo: a mail loop (4.4.6, deferred).
    Status loop(std::string_view where);

    Connection conn;
    asio::any_io_executor ex;
    Endpoint endpoint;
    Options options;
    Capabilities caps;
    std::string remote;
    bool used = false;       // the peer may hold a transaction: RSET before the next
    bool in_sync = false;    // every command sent has had its reply
    std::string last_error;  // what lost() last said
};

}  // namespace holdfast::smtp::client
