#include "dns/cache.hpp"

#include <algorithm>

#include "dns/error.hpp"
#include "dns/message.hpp"

namespace holdfast::dns {

std::string Cache::key(std::string_view name, RrType type) {
    return std::to_string(static_cast<unsigned>(type)) + " " + canonical_name(name);
}

std::optional<Result> Cache::get(std::string_view name, RrType type, Clock::time_point now) const {
    auto it = entries_.find(key(name, type));
    if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
    Result r = it->second.result;
    auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.expires - now);
    r.answer.ttl = static_cast<std::uint32_t>(std::max<std::int64_t>(left.count(), 0));
    return r;
}

void Cache::put(const Result& r, Clock::time_point now) {
    bool negative = r.error == Errc::nxdomain || r.error == Errc::no_data;
    bool cacheable = !r.error || negative;
    std::uint32_t ttl = std::min(r.answer.ttl, negative ? max_negative_ttl_ : max_ttl_);
    if (!cacheable || ttl == 0 || capacity_ == 0) return;
    std::string k = key(r.answer.name, r.answer.type);
    if (!entries_.contains(k)) make_room(now);
    entries_.insert_or_assign(std::move(k), Entry{r, now + std::chrono::seconds(ttl)});
}

void Cache::forget_negative(std::string_view domain) {
    std::string d = domain.empty() ? std::string() : canonical_name(domain);
    std::unordered_set<std::string> hosts;
    if (!d.empty()) {
        hosts.insert(d);
        if (auto it = entries_.find(key(d, RrType::mx)); it != entries_.end()) {
            for (const auto& mx : it->second.result.answer.mx) {
                if (!mx.host.empty()) hosts.insert(canonical_name(mx.host));
            }
        }
    }
    auto under = [&](const std::string& name) {
        if (d.empty() || hosts.contains(name)) return true;
        // "mx1.customer.test" is under "customer.test"
        return name.size() > d.size() && name.ends_with(d) &&
               name[name.size() - d.size() - 1] == '.';
    };
    std::erase_if(entries_, [&](const auto& kv) {
        const Result& r = kv.second.result;
        if (r.error != Errc::nxdomain && r.error != Errc::no_data) return false;
        return under(canonical_name(r.answer.name));
    });
}

// Expired entries go first; if the cache is still full, an arbitrary entry
// makes way: a bound on memory matters more than the perfect victim.
void Cache::make_room(Clock::time_point now) {
    if (entries_.size() < capacity_) return;
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
    if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
}

}  // namespace holdfast::dns
