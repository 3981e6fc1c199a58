#include "queue/envelope.hpp"

#include <algorithm>

#include "mail/address.hpp"
#include "queue/queued_message.hpp"

namespace holdfast::queue {

std::string_view kind_name(RecipientKind k) {
    switch (k) {
        case RecipientKind::local:
            return "local";
        case RecipientKind::backup:
            return "backup";
        case RecipientKind::relay:
            return "relay";
    }
    return "local";
}

std::string_view state_name(RecipientState s) {
    switch (s) {
        case RecipientState::pending:
            return "pending";
        case RecipientState::delivered:
            return "delivered";
        case RecipientState::failed:
            return "failed";
    }
    return "pending";
}

std::optional<RecipientKind> parse_kind(std::string_view s) {
    if (s == "local") return RecipientKind::local;
    if (s == "backup") return RecipientKind::backup;
    if (s == "relay") return RecipientKind::relay;
    return std::nullopt;
}

std::optional<RecipientState> parse_state(std::string_view s) {
    if (s == "pending") return RecipientState::pending;
    if (s == "delivered") return RecipientState::delivered;
    if (s == "failed") return RecipientState::failed;
    return std::nullopt;
}

std::string destination_domain(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? "" : mail::normalize_domain(address.substr(at + 1));
}

bool QueuedMessage::waits_for(std::string_view domain) const {
    return std::any_of(pending.begin(), pending.end(),
                       [&](const PendingDestination& d) { return d.domain == domain; });
}

bool QueuedMessage::has_pending(RecipientKind kind) const {
    return std::any_of(pending.begin(), pending.end(),
                       [&](const PendingDestination& d) { return d.kind == kind; });
}

bool QueuedMessage::has_pending_remote() const {
    return std::any_of(pending.begin(), pending.end(),
                       [](const PendingDestination& d) { return d.kind != RecipientKind::local; });
}

bool Envelope::has_pending() const {
    return std::any_of(recipients.begin(), recipients.end(),
                       [](const Recipient& r) { return r.state == RecipientState::pending; });
}

}  // namespace holdfast::queue
