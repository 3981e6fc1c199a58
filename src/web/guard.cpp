#include "web/guard.hpp"

#include <algorithm>

namespace holdfast::web {

void RateLimiter::prune(Clock::time_point now) {
    // At most once per window/8: the cost stays proportional to the traffic.
    if (now - last_prune_ < window_ / 8) return;
    last_prune_ = now;
    for (auto it = events_.begin(); it != events_.end();) {
        auto& q = it->second;
        while (!q.empty() && now - q.front() >= window_) q.pop_front();
        it = q.empty() ? events_.erase(it) : std::next(it);
    }
}

bool RateLimiter::allow(const std::string& key, Clock::time_point now) {
    std::lock_guard lock(mu_);
    prune(now);
    auto& q = events_[key];
    while (!q.empty() && now - q.front() >= window_) q.pop_front();
    if (q.size() >= limit_) return false;
    q.push_back(now);
    return true;
}

Clock::time_point RateLimiter::retry_at(const std::string& key, Clock::time_point now) {
    std::lock_guard lock(mu_);
    auto it = events_.find(key);
    if (it == events_.end() || it->second.size() < limit_) return now;
    return it->second.front() + window_;
}

bool all_inside(const std::vector<util::IpAddress>& addresses,
                const std::vector<util::IpNetwork>& networks) {
    if (addresses.empty()) return false;
    return std::all_of(addresses.begin(), addresses.end(), [&](const util::IpAddress& a) {
        return std::any_of(networks.begin(), networks.end(),
                           [&](const util::IpNetwork& n) { return n.contains(a); });
    });
}

}  // namespace holdfast::web
