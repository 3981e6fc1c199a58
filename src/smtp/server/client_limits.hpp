#pragma once
// Limits that span sessions, keyed by client address: concurrent connections
// per IP, and the growing delay after failed AUTH attempts. Thread-safe
// (sessions run on several I/O threads).
#include <chrono>
#include <map>
#include <mutex>
#include <vector>

#include "util/net.hpp"

namespace holdfast::smtp {

// Clients in `exempt` count towards the total only, never towards per_ip.
class ConnectionCounter {
  public:
    ConnectionCounter(unsigned per_ip, unsigned total, std::vector<util::IpNetwork> exempt = {})
        : per_ip_(per_ip), total_(total), exempt_(std::move(exempt)) {}

    // Counts a new connection; false (and nothing counted) when over a limit.
    bool try_add(const util::IpAddress& ip);
    void remove(const util::IpAddress& ip);
    unsigned total() const;

  private:
    bool exempt(const util::IpAddress& ip) const;

    const unsigned per_ip_, total_;
    const std::vector<util::IpNetwork> exempt_;
    mutable std::mutex mu_;
    std::map<util::IpAddress, unsigned> by_ip_;
    unsigned count_ = 0;
};

// Decrements the counter when a session ends, however it ends.
class ConnectionSlot {
  public:
    ConnectionSlot(ConnectionCounter& c, const util::IpAddress& ip) : counter_(c), ip_(ip) {}
    ~ConnectionSlot() { counter_.remove(ip_); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  private:
    ConnectionCounter& counter_;
    util::IpAddress ip_;
};

// Password guessing gets slower the more a client fails: each failure adds
// `step` to the delay before the next "535" (capped), across sessions, and
// is forgotten after `memory` without failures or on a success.
class AuthFailures {
  public:
    using Clock = std::chrono::steady_clock;
    AuthFailures(std::chrono::milliseconds step,
                 std::chrono::milliseconds cap = std::chrono::seconds(30),
                 std::chrono::seconds memory = std::chrono::minutes(15))
        : step_(step), cap_(cap), memory_(memory) {}

    // Records a failure; returns how long to wait before answering it.
    std::chrono::milliseconds failed(const util::IpAddress& ip,
                                     Clock::time_point now = Clock::now());
    void succeeded(const util::IpAddress& ip);

  private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point last;
    };
    const std::chrono::milliseconds step_, cap_;
    const std::chrono::seconds memory_;
    std::mutex mu_;
    std::map<util::IpAddress, Entry> by_ip_;
};

}  // namespace holdfast::smtp
