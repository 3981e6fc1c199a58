#pragma once
// What the two clients share (Asio, private to scan/): a scanner's address
// as an endpoint, a bound on connections at once, and a deadline around a
// whole exchange.
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace holdfast::scan {

namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;
using Endpoint = asio::generic::stream_protocol::endpoint;

// "unix:/path" or "ip:port" (the config checked the form).
std::optional<Endpoint> endpoint_of(const std::string& target);

// At most N connections to one scanner at once: a session past that waits
// (within its scanner's timeout) for one to be given back. Thread-safe.
class Limiter {
  public:
    Limiter(asio::any_io_executor ex, std::size_t n);
    class Permit {
      public:
        explicit Permit(Limiter* l) : l_(l) {}
        Permit(Permit&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
        Permit& operator=(Permit&&) = delete;
        ~Permit() {
            if (l_) l_->release();
        }

      private:
        Limiter* l_;
    };
    asio::awaitable<Permit> acquire();

  private:
    void release();
    asio::experimental::concurrent_channel<void(boost::system::error_code)> tokens_;
};

// Runs `op` with a deadline: its result, or nullopt when the time ran out
// first (the operation is then cancelled: its socket is closed with it).
template <typename T>
asio::awaitable<std::optional<T>> within(asio::awaitable<T> op, std::chrono::seconds limit) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, limit);
    auto v = co_await (std::move(op) || timer.async_wait(asio::use_awaitable));
    if (v.index() == 0) co_return std::get<0>(std::move(v));
    co_return std::nullopt;
}

}  // namespace holdfast::scan
