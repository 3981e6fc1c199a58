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
// The limits may change (a reload); each connection is given back the way
// it was counted.
class ConnectionCounter {
  public:
    struct Limits {
        unsigned per_ip = 0;
        unsigned total = 0;
        std::vector<util::IpNetwork> exempt;
    };
    explicit ConnectionCounter(Limits limits) : limits_(std::move(limits)) {}
    ConnectionCounter(unsigned per_ip, unsigned total, std::vector<util::IpNetwork> exempt = {})
        : limits_{per_ip, total, std::move(exempt)} {}

    // Counts a new connection; false (and nothing counted) when over a
    // limit. `per_ip` says whether it counted towards its address's limit.
    bool try_add(const util::IpAddress& ip, bool* per_ip = nullptr);
    void remove(const util::IpAddress& ip, bool per_ip = true);
    unsigned total() const;
    // New limits for connections from now on; those open stay.
    void set_limits(Limits limits);

  private:
    bool exempt(const util::IpAddress& ip) const;  // under mu_

    Limits limits_;
    mutable std::mutex mu_;
    std::map<util::IpAddress, unsigned> by_ip_;
    unsigned count_ = 0;
};

// Decrements the counter when a session ends, however it ends.
class ConnectionSlot {
  public:
    ConnectionSlot(ConnectionCounter& c, const util::IpAddress& ip, bool per_ip)
        : counter_(c), ip_(ip), per_ip_(per_ip) {}
    ~ConnectionSlot() { counter_.remove(ip_, per_ip_); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  private:
    ConnectionCounter& counter_;
    util::IpAddress ip_;
    bool per_ip_;
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
    void set_step(std::chrono::milliseconds step);  // a reload

  private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point last;
    };
    std::chrono::milliseconds step_;  // under mu_
    const std::chrono::milliseconds cap_;
    const std::chrono::seconds memory_;
    std::mutex mu_;
    std::map<util::IpAddress, Entry> by_ip_;
};

}  // namespace holdfast::smtp
