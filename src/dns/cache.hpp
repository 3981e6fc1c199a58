#pragma once
// A bounded answer cache keyed by (name, type), honouring the DNS TTLs.
// Positive answers and NXDOMAIN / no data (with an SOA-derived TTL) are
// kept; failures never are, so a flapping server is asked again. Pure and
// single-threaded: the resolver holds it under its own lock, and tests drive
// it with their own clock.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "dns/types.hpp"

namespace holdfast::dns {

class Cache {
  public:
    using Clock = std::chrono::steady_clock;

    // max_ttl caps what a server may ask for (Exim keeps min(TTL, 1 h));
    // max_negative_ttl caps NXDOMAIN / no data further (RFC 2308 5: the
    // SOA's TTL and MINIMUM, whichever is smaller, and no more than this):
    // a "no such host" must not hold mail back for an hour once the
    // customer has fixed the record.
    explicit Cache(std::size_t capacity = 10000, std::uint32_t max_ttl = 3600,
                   std::uint32_t max_negative_ttl = 300)
        : capacity_(capacity), max_ttl_(max_ttl), max_negative_ttl_(max_negative_ttl) {}

    // A copy whose answer.ttl is the time left, or nullopt.
    std::optional<Result> get(std::string_view name, RrType type, Clock::time_point now) const;
    void put(const Result& r, Clock::time_point now);
    // Drops the negative answers (NXDOMAIN, no data) for `domain` and the
    // names under it, and for the hosts its cached MX answer names ("" =
    // every negative answer): `queue flush --domain` asks DNS again.
    void forget_negative(std::string_view domain);
    std::size_t size() const { return entries_.size(); }

  private:
    struct Entry {
        Result result;
        Clock::time_point expires;
    };
    static std::string key(std::string_view name, RrType type);
    void make_room(Clock::time_point now);

    std::size_t capacity_;
    std::uint32_t max_ttl_, max_negative_ttl_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace holdfast::dns
