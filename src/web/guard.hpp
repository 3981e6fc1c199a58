#pragma once
// What keeps the public pages from being a scanner for hire: which
// addresses may be tested, and how often a client (or a target) may ask.
// Pure and clock-driven: the caller passes `now`, tests pass a fake one.
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "util/net.hpp"

namespace holdfast::web {

using Clock = std::chrono::steady_clock;

// At most `limit` events per key in any `window`. Thread-safe. Memory is
// bounded: keys whose events have all aged out are dropped as others come.
class RateLimiter {
  public:
    RateLimiter(std::size_t limit, std::chrono::seconds window) : limit_(limit), window_(window) {}
    // Records an event and says true, or says false (nothing recorded) when
    // the key has had `limit` events in the last window.
    bool allow(const std::string& key, Clock::time_point now);
    // When the key may try again (now when it may already).
    Clock::time_point retry_at(const std::string& key, Clock::time_point now);
    std::chrono::seconds window() const { return window_; }

  private:
    void prune(Clock::time_point now);
    std::mutex mu_;
    std::size_t limit_;
    std::chrono::seconds window_;
    std::map<std::string, std::deque<Clock::time_point>> events_;
    Clock::time_point last_prune_{};
};

// True when every address is inside one of the networks (and there is at
// least one address): a name that resolves to one allowed address and one
// foreign address is refused, or DNS could steer the test elsewhere.
bool all_inside(const std::vector<util::IpAddress>& addresses,
                const std::vector<util::IpNetwork>& networks);

}  // namespace holdfast::web
