#pragma once
// The spool's envelope and state encodings (docs/queue-format.md), as pure
// encode/decode functions: the JSON of the segment log's M and S records,
// and the files of spool version 1 (msg/<ID>, state/<ID>), which are still
// read to import an old spool. Only spool*.cpp uses this; everything else
// goes through Spool.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "queue/envelope.hpp"

namespace holdfast::queue::record {

// One JSON line (no newline) describing env: an M record's envelope.
std::string envelope_json(const Envelope& env);
// Errc::corrupt unless line is a valid envelope (record_parse.cpp).
std::error_code parse_envelope_json(std::string_view line, Envelope& env);

// One JSON line (no newline): the mutable part of a message (recipient
// states and errors, next_attempt, warned, held), an S record's state.
std::string state_json(const Envelope& env);
// Such a line, read: the recipients (address, kind, state, last_error; no
// DSN parameters) and the rest of the mutable part.
struct State {
    std::vector<Recipient> recipients;
    std::chrono::system_clock::time_point next_attempt{};
    bool warned = false;
    bool held = false;
    unsigned attempts = 0;
};
// Errc::corrupt unless line is a valid state (record_parse.cpp).
std::error_code parse_state_json(std::string_view line, State& state);
// Applies a state to env: Errc::recipients_mismatch if it names other
// recipients than env has (env unchanged then).
std::error_code apply_state(State state, Envelope& env);
// Both: Errc::corrupt if the line does not parse.
std::error_code apply_state_json(std::string_view line, Envelope& env);

// Spool version 1.
// First line of every message file / state file. The number is the format
// version: a reader refuses versions it does not know (the file goes to corrupt/).
inline constexpr std::string_view kMessageMagic = "HOLDFAST-QUEUE 1\n";
inline constexpr std::string_view kStateMagic = "HOLDFAST-STATE 1\n";

// Magic line + one JSON line describing env (not next_attempt). The message
// bytes follow it directly in the file.
std::string encode_header(const Envelope& env);

// Parses the header at the start of text (the file's first bytes). On success
// sets env and header_len (octets of magic + JSON line). Errc::corrupt when
// text holds no complete, valid header.
std::error_code decode_header(std::string_view text, Envelope& env, std::size_t& header_len);

// Per-recipient outcomes, the next attempt and the warned/held flags: the
// mutable part of a message.
std::string encode_state(const Envelope& env);
// Applies a state file to env: recipient states/errors, next_attempt,
// warned and held.
// Errc::corrupt if it does not parse, Errc::recipients_mismatch if it names
// other recipients than env has.
std::error_code decode_state(std::string_view text, Envelope& env);

// Reads a message file: its envelope and the message bytes (header
// removed). A torn or truncated file (length other than the header
// promises) is Errc::corrupt.
std::error_code read_message_file(const std::filesystem::path& file, Envelope& env,
                                  std::string& body);

}  // namespace holdfast::queue::record
