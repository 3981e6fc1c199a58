#pragma once
// The DSN parameters of an SMTP envelope (RFC 3461): what the sender asked
// to be told (NOTIFY), how much of the message a notice returns (RET), and
// the identifiers a notice quotes back (ENVID, ORCPT). Plain values shared
// by the SMTP parser, the spool and the couriers.
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::mail {

// RET= (RFC 3461 4.3): unspecified returns the headers only, like HDRS.
enum class DsnReturn { unspecified, full, headers };
std::string_view dsn_return_name(DsnReturn r);  // "", "full", "hdrs"
std::optional<DsnReturn> parse_dsn_return_name(std::string_view s);

// NOTIFY= (RFC 3461 4.1). Not `specified`: the sender said nothing, so
// failure and delay notices go as usual. Specified with no flag set: NEVER.
struct DsnNotify {
    bool specified = false;
    bool success = false;
    bool failure = false;
    bool delay = false;

    static DsnNotify never() { return {true, false, false, false}; }
    bool is_never() const { return specified && !success && !failure && !delay; }
    bool wants_failure() const { return !specified || failure; }
    bool wants_delay() const { return !specified || delay; }
    bool operator==(const DsnNotify&) const = default;
};
// "" (unspecified), "never", or the flags joined: "success,failure,delay".
std::string dsn_notify_name(const DsnNotify& n);
std::optional<DsnNotify> parse_dsn_notify_name(std::string_view s);

}  // namespace holdfast::mail
