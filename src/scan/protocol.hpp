#pragma once
// The scanners' wire formats, sans I/O (unit-tested and fuzzed): clamd's
// zINSTREAM chunks and reply line, rspamd's /checkv2 request headers and
// JSON reply. The clients (clamd_client.cpp, rspamd_client.cpp) move the
// bytes; everything they conclude comes from here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace holdfast::scan {

// ---- clamd (clamd(8), "INSTREAM") ----

// The command that opens a stream scan; NUL-terminated ("z" form), so the
// reply is NUL-terminated too.
inline constexpr std::string_view kClamdInstream{"zINSTREAM\0", 10};
// Each chunk is preceded by its length, 4 octets in network byte order; a
// zero length ends the stream.
std::string clamd_chunk_header(std::uint32_t length);

struct ClamdReply {
    enum class Kind { clean, virus, error };
    Kind kind = Kind::error;
    std::string text;  // virus: its name; error: what clamd or the parser said
};
// The longest reply a client should wait for (a virus name is short; clamd
// itself limits them); more is garbage.
inline constexpr std::size_t kClamdMaxReply = 1024;
// "stream: OK", "stream: NAME FOUND", "... ERROR", with or without the
// terminating NUL or newline. Anything else is an error ("malformed").
ClamdReply parse_clamd_reply(std::string_view reply);

// ---- rspamd (HTTP protocol, /checkv2) ----

enum class SpamAction { no_action, greylist, add_header, rewrite_subject, soft_reject, reject };
const char* action_name(SpamAction a);  // as rspamd spells them: "no action", "add header", ...

struct RspamdReply {
    bool ok = false;
    std::string error;  // when !ok
    SpamAction action = SpamAction::no_action;
    double score = 0;
    double required = 0;
    std::optional<std::string> subject;  // rewrite subject: the new subject, cleaned
};
// The JSON body of rspamd's answer. Malformed JSON, a missing or unknown
// action, a score that is not a finite number: !ok.
RspamdReply parse_rspamd_reply(std::string_view body);

// What rspamd is told beside the message (its protocol's request headers).
struct RspamdEnvelope {
    std::string client_ip;
    std::string helo;
    std::string sender;  // "" = null sender
    std::vector<std::string> recipients;
    std::string auth_user;  // "" = not authenticated
    std::string queue_id;
};
// Header (name, value) pairs; values cleaned of anything that could end a
// header line early.
std::vector<std::pair<std::string, std::string>> rspamd_headers(const RspamdEnvelope& e);

// Text safe inside a header field or an SMTP reply: control characters
// (CR, LF, NUL, ...) dropped, at most `max` octets.
std::string printable(std::string_view s, std::size_t max);

}  // namespace holdfast::scan
