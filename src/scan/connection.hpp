#pragma once
// What the two clients share (Asio, private to scan/): a scanner's address
// as an endpoint, a bound on connections at once, and a deadline around a
// whole exchange.
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <chrono>
#include <memory>
#include <mutex>
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
// (within its scanner's timeout) for one to be given back. Thread-safe. A
// permit may outlive the Limiter (a session's frame destroyed with the
// io_context at shutdown): it then gives nothing back.
class Limiter {
    using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    struct Shared {
        std::mutex mu;
        Channel* tokens = nullptr;  // null once the Limiter is gone
    };

  public:
    Limiter(asio::any_io_executor ex, std::size_t n);
    ~Limiter();
    Limiter(const Limiter&) = delete;
    Limiter& operator=(const Limiter&) = delete;

    class Permit {
      public:
        explicit Permit(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
        Permit(Permit&& o) noexcept = default;
        Permit& operator=(Permit&&) = delete;
        ~Permit();

      private:
        std::shared_ptr<Shared> s_;
    };
    asio::awaitable<Permit> acquire();

  private:
    Channel tokens_;
    std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
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
