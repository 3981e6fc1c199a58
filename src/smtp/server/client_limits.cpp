#include "smtp/server/client_limits.hpp"

#include <algorithm>

namespace holdfast::smtp {

bool ConnectionCounter::exempt(const util::IpAddress& ip) const {
    return std::any_of(exempt_.begin(), exempt_.end(),
                       [&](const util::IpNetwork& n) { return n.contains(ip); });
}

bool ConnectionCounter::try_add(const util::IpAddress& ip) {
    const bool free_of_per_ip = exempt(ip);
    std::lock_guard lock(mu_);
    if (count_ >= total_) return false;
    if (!free_of_per_ip) {
        unsigned& n = by_ip_[ip];
        if (n >= per_ip_) return false;
        ++n;
    }
    ++count_;
    return true;
}

void ConnectionCounter::remove(const util::IpAddress& ip) {
    std::lock_guard lock(mu_);
    if (auto it = by_ip_.find(ip); it != by_ip_.end()) {
        if (--it->second == 0) by_ip_.erase(it);
    }
    --count_;
}

unsigned ConnectionCounter::total() const {
    std::lock_guard lock(mu_);
    return count_;
}

std::chrono::milliseconds AuthFailures::failed(const util::IpAddress& ip, Clock::time_point now) {
    std::lock_guard lock(mu_);
    // Forget stale entries now and then so the map cannot grow without bound.
    if (by_ip_.size() > 10000) {
        std::erase_if(by_ip_, [&](const auto& kv) { return now - kv.second.last > memory_; });
    }
    Entry& e = by_ip_[ip];
    if (e.failures > 0 && now - e.last > memory_) e.failures = 0;
    ++e.failures;
    e.last = now;
    return std::min(cap_, step_ * e.failures);
}

void AuthFailures::succeeded(const util::IpAddress& ip) {
    std::lock_guard lock(mu_);
    by_ip_.erase(ip);
}

}  // namespace holdfast::smtp
