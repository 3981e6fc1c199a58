#pragma once
// What the spool keeps in memory about a queued message, and what
// Spool::for_each shows: enough to schedule it and to count it per
// destination without its envelope. The envelope itself stays in the
// spool's log and is read back by Spool::get (a million queued envelopes
// held in memory cost a gigabyte; this costs about a tenth).
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "queue/envelope.hpp"

namespace holdfast::queue {

// A destination domain (destination_domain()) with recipients still
// pending there, and which path they take.
struct PendingDestination {
    std::string_view domain;
    RecipientKind kind;
    bool operator==(const PendingDestination&) const = default;
};

// A view: id and pending point into the spool's index, valid only during
// the Spool::for_each callback that shows it (copy what is kept).
struct QueuedMessage {
    std::string_view id;
    std::chrono::system_clock::time_point arrival;
    std::chrono::system_clock::time_point next_attempt;  // the epoch: as soon as possible
    std::uint64_t size = 0;
    unsigned attempts = 0;
    bool held = false;
    bool warned = false;
    // Each (domain, kind) pair with a pending recipient, once, sorted.
    std::span<const PendingDestination> pending;

    bool waits_for(std::string_view domain) const;  // any kind
    bool has_pending(RecipientKind kind) const;     // any domain
    bool has_pending_remote() const;                // backup or relay
};

}  // namespace holdfast::queue
