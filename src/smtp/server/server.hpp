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
    // Stops accepting; running sessions finish on their own.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::smtp
