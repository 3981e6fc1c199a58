#pragma once
// What the spool keeps about a message besides its bytes: the SMTP envelope
// and, per recipient, how far delivery got.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/dsn_params.hpp"

namespace holdfast::queue {

// Which delivery path a recipient takes (decided once, at RCPT time).
enum class RecipientKind { local, backup, relay };
enum class RecipientState { pending, delivered, failed };

std::string_view kind_name(RecipientKind k);    // "local", "backup", "relay"
std::string_view state_name(RecipientState s);  // "pending", "delivered", "failed"
std::optional<RecipientKind> parse_kind(std::string_view s);
std::optional<RecipientState> parse_state(std::string_view s);

// Where a recipient's mail goes: the domain of its address (after the last
// '@'), normalised as domains compare (mail::normalize_domain); "" for an
// address without one. Schedules, queue figures and flushes name this.
std::string destination_domain(std::string_view address);

struct Recipient {
    std::string
        address;  // canonical mailbox text, e.g. "alice@example.test" (mail::Address::str())
    RecipientKind kind = RecipientKind::local;
    RecipientState state = RecipientState::pending;
    std::string last_error;  // last delivery error text, for `queue list`
    // RFC 3461, as the client gave them at RCPT; never change afterwards.
    mail::DsnNotify notify;
    std::string orcpt;  // ORCPT decoded, "rfc822;alice@example.test"; "" if none

    bool operator==(const Recipient&) const = default;
};

struct Envelope {
    std::string id;      // mail::new_queue_id()
    std::string sender;  // "" = null sender <>
    std::vector<Recipient> recipients;
    std::chrono::system_clock::time_point arrival;
    std::string client;     // e.g. "helo.name [127.0.0.2]" (for logs / queue show)
    std::string auth_user;  // "" if not authenticated
    bool smtputf8 = false;
    std::size_t size = 0;  // octets of the message (set by Spool::store)
    // The bytes are in the spool's body file, not in the log record (a large
    // message streamed to disk as it arrived; set by Spool::store).
    bool body_file = false;
    // RFC 3461, as the client gave them at MAIL; never change afterwards.
    mail::DsnReturn ret = mail::DsnReturn::unspecified;
    std::string envid;  // ENVID decoded; "" if none
    // When delivery should next be tried; the epoch (default) means "as soon
    // as possible". Kept with the recipient states, not in the message file.
    std::chrono::system_clock::time_point next_attempt{};
    // Also kept with the recipient states (Spool::modify_state changes them):
    bool warned = false;  // the message's one delay notice has gone
    bool held = false;    // an admin hold: no delivery attempts until released
    // Remote delivery attempts that failed temporarily so far: the retry
    // backoff continues from here after a restart.
    unsigned attempts = 0;

    bool operator==(const Envelope&) const = default;
    bool has_pending() const;
};

}  // namespace holdfast::queue
