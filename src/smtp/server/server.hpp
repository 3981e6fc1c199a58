#pragma once
// The SMTP listeners: one acceptor per [[listen]], a session per connection.
#include <memory>

#include "smtp/server/context.hpp"

namespace boost::asio {
class io_context;
}

namespace holdfast::smtp {

class Server {
  public:
    Server(boost::asio::io_context& io, SessionContext& ctx);
    ~Server();
    // Binds every listener. Throws std::runtime_error naming the address
    // when one cannot be bound (start-up errors are fatal and clear).
    void start();
    // A reload: listens on the addresses in `listen` that are new, stops
    // listening on those gone (their sessions in progress go on), and
    // gives every listener its new role. All or nothing: when a new
    // address cannot be bound, nothing changes and the error names it.
    // Thread-safe.
    std::string reconfigure(const std::vector<config::Listen>& listen);
    // Stops accepting, and asks every running session to end: one waiting
    // for a command gets 421 at once, one in the middle of a command (DATA,
    // a store in the spool) finishes it, answers it, then gets 421.
    // Thread-safe.
    void stop();
    // After stop(): closes the connections of sessions still running (a
    // client that sends its message too slowly), so that they end now.
    void cut();
    // Sessions whose Session object still exists (thread-safe). Zero after
    // stop() means nothing left that touches the spool or the context.
    std::size_t active() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::smtp
