#include "smtp/server/client_limits.hpp"

#include <algorithm>

namespace holdfast::smtp {

bool ConnectionCounter::exempt(const util::IpAddress& ip) const {
    return std::any_of(limits_.exempt.begin(), limits_.exempt.end(),
                       [&](const util::IpNetwork& n) { return n.contains(ip); });
}

bool ConnectionCounter::try_add(const util::IpAddress& ip, bool* per_ip) {
    std::lock_guard lock(mu_);
    if (count_ >= limits_.total) return false;
    const bool counted = !exempt(ip);
    if (counted) {
        unsigned& n = by_ip_[ip];
        if (n >= limits_.per_ip) {
            if (n == 0) by_ip_.erase(ip);
            return false;
        }
        ++n;
    }
    ++count_;
    if (per_ip) *per_ip = counted;
    return true;
}

void ConnectionCounter::remove(const util::IpAddress& ip, bool per_ip) {
    std::lock_guard lock(mu_);
    if (per_ip) {
        if (auto it = by_ip_.find(ip); it != by_ip_.end()) {
            if (--it->second == 0) by_ip_.erase(it);
        }
    }
    --count_;
}

void ConnectionCounter::set_limits(Limits limits) {
    std::lock_guard lock(mu_);
    limits_ = std::move(limits);
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

void AuthFailures::set_step(std::chrono::milliseconds step) {
    std::lock_guard lock(mu_);
    step_ = step;
}

void AuthFailures::succeeded(const util::IpAddress& ip) {
    std::lock_guard lock(mu_);
    by_ip_.erase(ip);
}

}  // namespace holdfast::smtp
