#pragma once
// What the primaries said about recipients, with an expiry per answer, and
// its JSON form for <spool>/verify-cache.json. Good answers are trusted for
// weeks, bad ones for days (per [[backup]] domain): when the primary is down,
// the recipients it confirmed are still accepted. No I/O, no locking: the
// Verifier owns one and guards it.
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::verify {

enum class Verdict { good, bad, unknown };
std::string_view verdict_name(Verdict v);  // "good", "bad", "unknown"

class Cache {
  public:
    using Time = std::chrono::system_clock::time_point;
    // A dictionary attack must not grow the cache without bound: past this,
    // bad answers are no longer remembered (good ones push a bad one out).
    static constexpr std::size_t kMaxEntries = 100000;

    // Keys are compared as given; the Verifier lower-cases them.
    std::optional<Verdict> find(const std::string& address, Time now) const;
    // Only good and bad are remembered; unknown is never cached.
    void put(const std::string& address, Verdict v, Time expires);
    void purge(Time now);  // drops expired entries
    std::size_t size() const { return entries_.size(); }

    // {"version":1,"entries":[{"address":"...","verdict":"good","expires":UNIX_SECONDS}]}
    std::string to_json() const;
    // nullopt for text that is not such a document; expired entries are dropped.
    static std::optional<Cache> from_json(std::string_view text, Time now);

  private:
    struct Entry {
        Verdict verdict;
        Time expires;
    };
    std::map<std::string, Entry> entries_;
};

}  // namespace holdfast::verify
