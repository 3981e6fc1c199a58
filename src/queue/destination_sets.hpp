#pragma once
// The pending destinations of queued messages, each distinct set stored
// once (a backlog of a million messages for one down domain shares one
// set). Sets and domain names are reference counted and freed with their
// last message. Not thread-safe: the spool guards it with its index lock.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "queue/queued_message.hpp"

namespace holdfast::queue {

class DestinationSets {
  public:
    using Id = std::uint32_t;

    // The set of (destination_domain(address), kind) of the recipients
    // still pending, one reference taken.
    Id intern(const std::vector<Recipient>& recipients) { return intern_key(key_of(recipients)); }
    // The same in two steps: the set spelled out ("kind domain\n" per pair,
    // sorted; a pure function, so recovery computes it on its scanning
    // threads), then interned.
    static std::string key_of(const std::vector<Recipient>& recipients);
    Id intern_key(const std::string& key);
    void release(Id id);
    std::span<const PendingDestination> get(Id id) const { return sets_[id].items; }

    std::size_t sets() const { return sets_.size() - free_.size(); }  // in use
    std::size_t domains() const { return domains_.size(); }

  private:
    struct Set {
        std::vector<PendingDestination> items;  // views of domains_' keys
        std::string key;                        // items spelled out, for by_key_
        std::size_t refs = 0;
    };
    std::string_view hold_domain(const std::string& domain);
    void drop_domain(std::string_view domain);

    std::vector<Set> sets_;
    std::vector<Id> free_;  // slots of sets_ to reuse
    std::unordered_map<std::string, Id> by_key_;
    // Each domain name once, with how many sets name it (node-based: the
    // keys the sets' views point at never move).
    std::unordered_map<std::string, std::size_t> domains_;
};

}  // namespace holdfast::queue
