// Reading the spool's envelope and state JSON (record.hpp). Recovery reads
// one envelope per queued message, a million of them for a big backlog, so
// this uses simdjson's on-demand parser: about a tenth of the time of
// building a nlohmann DOM for each line (bench/profile.md, "Start-up with a
// big queue"). Writing is record_write.cpp.
//
// What a line must hold is unchanged: required fields of the right type or
// Errc::corrupt; optional fields of the wrong type are ignored; unknown
// fields are skipped; a repeated field counts as its last occurrence; the
// line holds one object and nothing after it.
#include <simdjson.h>

#include <algorithm>

#include "queue/errors.hpp"
#include "queue/record.hpp"

namespace holdfast::queue::record {
namespace {

namespace od = simdjson::ondemand;
using std::chrono::microseconds;
using std::chrono::system_clock;

// One parser and one padded copy of the line per thread: recovery parses
// on several threads, and simdjson reads up to SIMDJSON_PADDING octets past
// the end of its input (a record in a mapped segment may end a page).
struct ThreadParser {
    od::parser parser;
    std::string padded;
};

ThreadParser& thread_parser() {
    thread_local ThreadParser p;
    return p;
}

bool read_string(od::value v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out.assign(s);
    return true;
}

// Leaves `out` as it was when the value is not a boolean.
void read_bool(od::value v, bool& out) {
    bool b = false;
    if (!v.get_bool().get(b)) out = b;
}

// Calls fn(key, value) for each field of o, in order. False when the JSON is
// malformed or fn says so.
template <typename Fn>
bool each_field(od::object o, Fn&& fn) {
    for (auto field : o) {
        std::string_view key;
        od::value value;
        if (field.unescaped_key().get(key) || field.value().get(value)) return false;
        if (!fn(key, value)) return false;
    }
    return true;
}

bool parse_recipient(od::value v, Recipient& r) {
    od::object o;
    if (v.get_object().get(o)) return false;
    bool address = false, kind_ok = false, state_ok = false, notify_ok = true;
    bool ok = each_field(o, [&](std::string_view key, od::value value) {
        std::string text;
        if (key == "address") {
            address = read_string(value, r.address);
        } else if (key == "kind") {
            auto k = read_string(value, text) ? parse_kind(text) : std::nullopt;
            kind_ok = k.has_value();
            if (k) r.kind = *k;
        } else if (key == "state") {
            auto s = read_string(value, text) ? parse_state(text) : std::nullopt;
            state_ok = s.has_value();
            if (s) r.state = *s;
        } else if (key == "last_error") {
            read_string(value, r.last_error);  // optional
        } else if (key == "orcpt") {
            read_string(value, r.orcpt);  // optional, like notify (older records lack both)
        } else if (key == "notify") {
            if (read_string(value, text)) {
                auto n = mail::parse_dsn_notify_name(text);
                notify_ok = n.has_value();
                if (n) r.notify = *n;
            }
        }
        return true;
    });
    return ok && address && kind_ok && state_ok && notify_ok;
}

bool parse_recipients(od::value v, std::vector<Recipient>& out) {
    od::array a;
    if (v.get_array().get(a)) return false;
    out.clear();
    for (auto element : a) {
        od::value value;
        Recipient r;
        if (element.get(value) || !parse_recipient(value, r)) return false;
        out.push_back(std::move(r));
    }
    out.shrink_to_fit();  // exactly: queued envelopes keep theirs
    return true;
}

// Parses the object in `line`, calling fn(key, value) for each top-level
// field. False unless it is one well-formed object with nothing after it.
template <typename Fn>
bool parse_object(std::string_view line, Fn&& fn) {
    ThreadParser& p = thread_parser();
    p.padded.assign(line);
    p.padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
    od::document doc;
    od::object o;
    if (p.parser.iterate(p.padded.data(), line.size(), p.padded.size()).get(doc) ||
        doc.get_object().get(o) || !each_field(o, fn)) {
        return false;
    }
    // Nothing may follow the object (current_location() is an error at the end).
    return doc.current_location().error() != simdjson::SUCCESS;
}

}  // namespace

std::error_code parse_envelope_json(std::string_view line, Envelope& env) {
    Envelope e;
    std::int64_t arrival = 0;
    std::string body, ret;
    bool id = false, sender = false, has_arrival = false, size = false, recipients = false,
         utf8 = false;
    bool ok = parse_object(line, [&](std::string_view key, od::value value) {
        if (key == "id") {
            id = read_string(value, e.id);
        } else if (key == "sender") {
            sender = read_string(value, e.sender);
        } else if (key == "arrival") {
            has_arrival = !value.get_int64().get(arrival);
        } else if (key == "size") {
            std::uint64_t n = 0;
            size = !value.get_uint64().get(n);
            e.size = static_cast<std::size_t>(n);
        } else if (key == "recipients") {
            recipients = parse_recipients(value, e.recipients);
            return recipients;  // a broken array leaves the parser behind
        } else if (key == "smtputf8") {
            utf8 = !value.get_bool().get(e.smtputf8);
        } else if (key == "client") {
            read_string(value, e.client);  // optional: informational only
        } else if (key == "auth_user") {
            read_string(value, e.auth_user);
        } else if (key == "envid") {
            read_string(value, e.envid);  // optional, like ret: only when the client gave them
        } else if (key == "body") {
            read_string(value, body);  // optional: absent = the bytes follow in the record
        } else if (key == "ret") {
            read_string(value, ret);
        }
        return true;
    });
    if (!ok || !id || !sender || !has_arrival || !size || !recipients || !utf8) {
        return Errc::corrupt;
    }
    if (!body.empty() && body != "file") return Errc::corrupt;
    e.body_file = body == "file";
    auto r = mail::parse_dsn_return_name(ret);
    if (!r) return Errc::corrupt;
    e.ret = *r;
    e.arrival = system_clock::time_point(microseconds(arrival));
    env = std::move(e);
    return {};
}

std::error_code parse_state_json(std::string_view line, State& state) {
    State s;
    std::int64_t next = 0, attempts = 0;
    bool recipients = false, has_next = false;
    bool ok = parse_object(line, [&](std::string_view key, od::value value) {
        if (key == "recipients") {
            recipients = parse_recipients(value, s.recipients);
            return recipients;
        } else if (key == "next_attempt") {
            has_next = !value.get_int64().get(next);
        } else if (key == "warned") {
            read_bool(value, s.warned);  // optional: older state files lack both
        } else if (key == "held") {
            read_bool(value, s.held);
        } else if (key == "attempts") {
            std::int64_t n = 0;  // optional: absent in older spools
            if (!value.get_int64().get(n)) attempts = n;
        }
        return true;
    });
    if (!ok || !recipients || !has_next) return Errc::corrupt;
    s.next_attempt = system_clock::time_point(microseconds(next));
    s.attempts = static_cast<unsigned>(std::clamp<std::int64_t>(attempts, 0, 1 << 20));
    state = std::move(s);
    return {};
}

}  // namespace holdfast::queue::record
