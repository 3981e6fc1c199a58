#pragma once
// Envelope addresses (RFC 5321 4.1.2 Path / Mailbox), parsed strictly.
//
// One deliberate leniency, because relay tricks depend on it: an unquoted
// local part may contain '@' (the "double @" form u@ext@host). It is split
// at the last '@' and the extra '@' is kept in the local part, where the
// relay policy sees it as sender-specified routing (see has_routing()).
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::mail {

struct Address {
    std::string local;       // as meant: quotes and backslash escapes removed
    std::string domain;      // lower-case, trailing dot removed; "[192.0.2.1]"; "" if unqualified
    bool quoted = false;     // the local part was written as a quoted-string
    bool had_route = false;  // a source route (@a,@b:) was given and dropped

    bool is_null() const { return local.empty() && domain.empty(); }
    bool is_ip_literal() const { return !domain.empty() && domain.front() == '['; }
    // The local part carries routing of its own: '%', '!' or '@' in it.
    bool has_routing() const;
    // Canonical text without angle brackets: local@domain, the local part
    // quoted when it is not a valid dot-string. "" for the null path.
    std::string str() const;
    // "<" + str() + ">"
    std::string bracketed() const { return "<" + str() + ">"; }
};

enum class AddressError {
    none,
    missing_brackets,  // not enclosed in < >
    bad_route,         // malformed source route
    bad_local_part,    // empty, bad dots, forbidden characters, bad quoting
    bad_domain,        // not a valid host name
    bad_literal,       // [..] that is not an IPv4 or IPv6 address
    too_long,          // local part > 256 or domain > 255 octets
    null_not_allowed,  // <> where a mailbox is required (RCPT)
};

// What the error means, for a 501 reply: "bad domain name".
std::string_view describe(AddressError e);

struct PathParse {
    std::optional<Address> address;  // set on success
    AddressError error = AddressError::none;
    std::size_t consumed = 0;  // octets of input used, up to and including '>'
};

struct PathOptions {
    bool allow_null = false;  // reverse-path: "<>" is valid
    bool allow_utf8 = false;  // SMTPUTF8 (RFC 6531): non-ASCII in local part and domain
};

// Parses a Path at the start of text ("<...>"); what follows is left for the
// caller (ESMTP parameters). Never throws; any input is safe.
PathParse parse_path(std::string_view text, PathOptions options = {});

// Parses a whole address without brackets ("user@example.org"); used for
// config values. No source route, no null address.
std::optional<Address> parse_mailbox(std::string_view text, bool allow_utf8 = true);

// A valid host name (letters, digits, hyphens, dots; optional trailing dot).
bool is_valid_domain(std::string_view domain, bool allow_utf8 = false);

// Lower-cases ASCII and removes one trailing dot: the form domains compare in.
std::string normalize_domain(std::string_view domain);

// When the local part routes elsewhere, the address it routes to, one step:
// "u%ext@host" -> u@ext, "u@ext@host" -> u@ext, "ext!u@host" -> u@ext.
// nullopt when the local part has no routing.
std::optional<Address> unwrap_routing(const Address& a);

}  // namespace holdfast::mail
