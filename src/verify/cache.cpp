#include "verify/cache.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace holdfast::verify {

namespace {

constexpr std::int64_t kLatest = 4'102'444'800;  // 2100-01-01

std::int64_t to_seconds(Cache::Time t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::good:
            return "good";
        case Verdict::bad:
            return "bad";
        case Verdict::unknown:
            return "unknown";
    }
    return "unknown";
}

std::optional<Verdict> Cache::find(const std::string& address, Time now) const {
    auto it = entries_.find(address);
    if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
    return it->second.verdict;
}

void Cache::put(const std::string& address, Verdict v, Time expires) {
    if (v == Verdict::unknown) return;
    auto it = entries_.find(address);
    if (it != entries_.end()) {
        it->second = Entry{v, expires};
        return;
    }
    if (entries_.size() >= kMaxEntries) {
        if (v == Verdict::bad) return;
        auto victim = std::find_if(entries_.begin(), entries_.end(),
                                   [](const auto& e) { return e.second.verdict == Verdict::bad; });
        if (victim == entries_.end()) return;
        entries_.erase(victim);
    }
    entries_.emplace(address, Entry{v, expires});
}

void Cache::purge(Time now) {
    std::erase_if(entries_, [&](const auto& e) { return e.second.expires <= now; });
}

std::string Cache::to_json() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [address, e] : entries_) {
        list.push_back({{"address", address},
                        {"verdict", verdict_name(e.verdict)},
                        {"expires", to_seconds(e.expires)}});
    }
    nlohmann::json doc{{"version", 1}, {"entries", std::move(list)}};
    return doc.dump() + "\n";
}

std::optional<Cache> Cache::from_json(std::string_view text, Time now) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
    auto version = doc.find("version");
    auto entries = doc.find("entries");
    if (version == doc.end() || *version != 1 || entries == doc.end() || !entries->is_array()) {
        return std::nullopt;
    }
    Cache c;
    for (const auto& e : *entries) {
        if (!e.is_object()) return std::nullopt;
        auto a = e.find("address");
        auto v = e.find("verdict");
        auto x = e.find("expires");
        if (a == e.end() || !a->is_string() || v == e.end() || !v->is_string() || x == e.end() ||
            !x->is_number_integer()) {
            return std::nullopt;
        }
        Verdict verdict;
        if (*v == "good") {
            verdict = Verdict::good;
        } else if (*v == "bad") {
            verdict = Verdict::bad;
        } else {
            return std::nullopt;
        }
        // Out of any sane range (and of system_clock's): not ours, skipped.
        std::int64_t seconds = x->get<std::int64_t>();
        if (seconds < 0 || seconds > kLatest) continue;
        Time expires{std::chrono::seconds(seconds)};
        if (expires > now) c.put(a->get<std::string>(), verdict, expires);
    }
    return c;
}

}  // namespace holdfast::verify
