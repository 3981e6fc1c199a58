#pragma once
// RFC 3461 parameters of MAIL (RET, ENVID) and RCPT (NOTIFY, ORCPT), and
// xtext, their encoding (RFC 3461 4). Pure parsing, no I/O; reached from
// parse_command and so from the command fuzz target.
#include <optional>
#include <string>
#include <string_view>

#include "mail/dsn_params.hpp"

namespace holdfast::smtp {

inline constexpr std::size_t kMaxEnvid = 100;  // RFC 3461 4.4: at most 100 characters
inline constexpr std::size_t kMaxOrcpt = 500;  // RFC 3461 4.2: original-recipient-address

// xtext: printable ASCII, "+XX" (two upper-case hex digits) for '+', '=',
// and anything outside '!'..'~'. nullopt when text is not valid xtext.
std::optional<std::string> xtext_decode(std::string_view text);
std::string xtext_encode(std::string_view raw);

// Each returns nullopt and sets `why` (for a 501 reply) on bad input.
std::optional<mail::DsnReturn> parse_ret(std::string_view value, std::string& why);
// The decoded envelope id.
std::optional<std::string> parse_envid(std::string_view value, std::string& why);
// "NEVER", or a comma-separated set of SUCCESS, FAILURE, DELAY.
std::optional<mail::DsnNotify> parse_notify(std::string_view value, std::string& why);
// "rfc822;alice+40example.test" -> "rfc822;alice@example.test".
std::optional<std::string> parse_orcpt(std::string_view value, std::string& why);

// For an outbound RCPT: "rfc822;alice@example.test" -> "rfc822;alice+40example.test"
// (addr-type kept, address xtext-encoded); "" for "".
std::string orcpt_parameter(std::string_view orcpt);
// For an outbound RCPT: "SUCCESS,DELAY", "NEVER"; "" when unspecified.
std::string notify_parameter(const mail::DsnNotify& n);

}  // namespace holdfast::smtp
