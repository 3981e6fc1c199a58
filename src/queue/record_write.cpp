// Writing the envelope and state lines: the counterpart of record_parse.cpp.
// Written straight into one string, in the form a nlohmann DOM dumped them
// before (keys sorted, no spaces, the same escapes), so lines written
// before and after look and read the same. Building the DOM cost about 80
// allocations a relayed message (a node per field and per recipient field,
// a string each); this costs the output string and little else
// (bench/profile.md).
#include <fmt/format.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "queue/record.hpp"

namespace holdfast::queue::record {
namespace {

std::int64_t to_us(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// A JSON string as nlohmann's dump writes it with ensure_ascii off: `"`,
// `\` and control characters escaped, everything else as it is.
void put_string(std::string& out, std::string_view s) {
    if (!simdjson::validate_utf8(s.data(), s.size())) {
        // Never expected (addresses are checked before they get here);
        // nlohmann replaces what is invalid rather than throwing, so a store
        // can never fail on it, and it says how.
        out += nlohmann::json(std::string(s))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
    }
    out += '"';
    std::size_t plain = 0;  // start of the run not yet copied
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s, plain, i - plain);
        plain = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        }
    }
    out.append(s, plain, s.size() - plain);
    out += '"';
}

void put_field(std::string& out, std::string_view key, std::string_view value) {
    out += key;
    put_string(out, value);
}

template <typename Number>
void put_number(std::string& out, std::string_view key, Number n) {
    out += key;
    fmt::format_to(std::back_inserter(out), "{}", n);
}

void put_bool(std::string& out, std::string_view key, bool b) {
    out += key;
    out += b ? "true" : "false";
}

// The header's recipients carry their DSN parameters too (only when the
// client gave them, so files without DSN look as they always did); the
// state's do not: those never change.
void put_recipients(std::string& out, const Envelope& env, bool with_dsn) {
    out += "\"recipients\":[";
    bool first = true;
    for (const auto& r : env.recipients) {
        if (!first) out += ',';
        first = false;
        put_field(out, "{\"address\":", r.address);
        put_field(out, ",\"kind\":", kind_name(r.kind));
        put_field(out, ",\"last_error\":", r.last_error);
        if (with_dsn && r.notify.specified)
            put_field(out, ",\"notify\":", mail::dsn_notify_name(r.notify));
        if (with_dsn && !r.orcpt.empty()) put_field(out, ",\"orcpt\":", r.orcpt);
        put_field(out, ",\"state\":", state_name(r.state));
        out += '}';
    }
    out += ']';
}

}  // namespace

std::string envelope_json(const Envelope& env) {
    std::string out;
    out.reserve(256 + env.recipients.size() * 96);
    put_number(out, "{\"arrival\":", to_us(env.arrival));
    put_field(out, ",\"auth_user\":", env.auth_user);
    if (env.body_file) out += ",\"body\":\"file\"";
    put_field(out, ",\"client\":", env.client);
    if (!env.envid.empty()) put_field(out, ",\"envid\":", env.envid);
    put_field(out, ",\"id\":", env.id);
    out += ',';
    put_recipients(out, env, true);
    if (env.ret != mail::DsnReturn::unspecified)
        put_field(out, ",\"ret\":", mail::dsn_return_name(env.ret));
    put_field(out, ",\"sender\":", env.sender);
    put_number(out, ",\"size\":", env.size);
    put_bool(out, ",\"smtputf8\":", env.smtputf8);
    out += '}';
    return out;
}

std::string state_json(const Envelope& env) {
    std::string out;
    out.reserve(96 + env.recipients.size() * 80);
    out += '{';
    if (env.attempts) {
        put_number(out, "\"attempts\":", env.attempts);
        out += ',';
    }
    put_bool(out, "\"held\":", env.held);
    put_number(out, ",\"next_attempt\":", to_us(env.next_attempt));
    out += ',';
    put_recipients(out, env, false);
    put_bool(out, ",\"warned\":", env.warned);
    out += '}';
    return out;
}

}  // namespace holdfast::queue::record
