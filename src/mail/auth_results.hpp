#pragma once
// Authentication-Results: fields that claim to be ours (RFC 8601 5): a
// border MTA that writes the field under its own authserv-id must remove
// any arriving with that id, or a reader that trusts our id believes what
// the sender wrote. Sans I/O: works on the message's header section.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::mail {

// The authserv-id of an Authentication-Results field's value (after the
// colon): CFWS skipped, up to ';' or white space. "" when there is none.
std::string auth_results_id(std::string_view value);

// `head`: the start of a message (CRLF line ends). Where its header section
// ends (the offset just past the empty line's CRLF), or nullopt when it does
// not end within `head`.
std::optional<std::size_t> header_section_end(std::string_view head);

// The header section `section` (as header_section_end() delimits it)
// without the Authentication-Results fields whose authserv-id is `id`
// (compared case-insensitively, folded lines included); nullopt when there
// was none.
std::optional<std::string> without_auth_results_of(std::string_view section, std::string_view id);

}  // namespace holdfast::mail
