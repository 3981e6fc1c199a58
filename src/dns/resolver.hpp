#pragma once
// The asynchronous resolver: c-ares on a thread of its own, callable from
// any thread. This header has no Asio and no c-ares in it; coroutine users
// include dns/awaitable.hpp for `co_await dns::query(resolver, name, type)`.
//
// Why a dedicated thread rather than c-ares' sockets inside the callers'
// io_context: the server runs several io threads, and a c-ares channel is
// not thread-safe, so an in-loop design needs a strand, a descriptor object
// per c-ares socket (released, never closed, before c-ares closes it) and
// care with sockets c-ares opens and closes inside its callbacks. A thread
// that owns the channel outright needs one lock around a request queue, and
// completions are posted back to each caller's executor — so a query costs
// one eventfd write and one post, which is nothing next to a DNS round trip.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/error.hpp"
#include "dns/types.hpp"

namespace holdfast::dns {

struct ResolverOptions {
    // "ip", "ip:port", "[v6]:port"; empty = the system's (/etc/resolv.conf).
    std::vector<std::string> servers;
    std::chrono::milliseconds timeout{5000};  // first try; c-ares backs off on later ones
    unsigned tries = 2;
    std::size_t cache_entries = 10000;  // 0 = no cache
};

ResolverOptions options_from(const config::Dns& dns);

class Resolver {
  public:
    // Called exactly once: inline on the calling thread for a cache hit,
    // else on the resolver's thread. Keep it short (post the work elsewhere).
    using Callback = std::function<void(Result)>;

    // Throws std::runtime_error for a bad server address or when c-ares
    // cannot start: a start-up failure.
    explicit Resolver(ResolverOptions options);
    // Outstanding queries complete with Errc::cancelled before this returns.
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // Thread-safe. `name` may end with a dot; no search list is applied.
    void async_query(std::string_view name, RrType type, Callback done);
    // Thread-safe: forgets cached negative answers for `domain` (and names
    // under it, and its MX hosts; "" = all), as `queue flush` wants.
    void forget_negative(std::string_view domain);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::dns
