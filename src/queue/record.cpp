#include "queue/record.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <type_traits>

#include "queue/errors.hpp"
#include "util/file.hpp"

namespace holdfast::queue::record {
namespace {

using json = nlohmann::json;
using std::chrono::microseconds;
using std::chrono::system_clock;

std::int64_t to_us(system_clock::time_point t) {
    return std::chrono::duration_cast<microseconds>(t.time_since_epoch()).count();
}
system_clock::time_point from_us(std::int64_t us) {
    return system_clock::time_point(microseconds(us));
}

// Invalid UTF-8 (never expected: addresses are validated before they get
// here) is replaced rather than thrown on, so a store can never fail on it.
std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The header's recipients carry their DSN parameters too (only when the
// client gave them, so files without DSN look as they always did); the
// state file's do not: those never change.
json recipients_json(const Envelope& env, bool with_dsn) {
    json a = json::array();
    for (const auto& r : env.recipients) {
        json o = {{"address", r.address},
                  {"kind", kind_name(r.kind)},
                  {"state", state_name(r.state)},
                  {"last_error", r.last_error}};
        if (with_dsn && r.notify.specified) o["notify"] = mail::dsn_notify_name(r.notify);
        if (with_dsn && !r.orcpt.empty()) o["orcpt"] = r.orcpt;
        a.push_back(std::move(o));
    }
    return a;
}

bool get(const json& o, const char* key, std::string& out) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
}

template <typename Int>
bool get(const json& o, const char* key, Int& out) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer()) return false;
    if constexpr (std::is_unsigned_v<Int>) {
        if (!it->is_number_unsigned()) return false;
    }
    out = it->get<Int>();
    return true;
}

bool get(const json& o, const char* key, bool& out) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_boolean()) return false;
    out = it->get<bool>();
    return true;
}

bool parse_recipients(const json& a, std::vector<Recipient>& out) {
    if (!a.is_array()) return false;
    out.clear();
    out.reserve(a.size());  // exactly: a million queued envelopes keep theirs
    for (const auto& o : a) {
        if (!o.is_object()) return false;
        Recipient r;
        std::string kind, state;
        if (!get(o, "address", r.address) || !get(o, "kind", kind) || !get(o, "state", state)) {
            return false;
        }
        get(o, "last_error", r.last_error);  // optional
        std::string notify;
        get(o, "orcpt", r.orcpt);  // optional, like notify (older files lack both)
        if (get(o, "notify", notify)) {
            auto n = mail::parse_dsn_notify_name(notify);
            if (!n) return false;
            r.notify = *n;
        }
        auto k = parse_kind(kind);
        auto s = parse_state(state);
        if (!k || !s) return false;
        r.kind = *k;
        r.state = *s;
        out.push_back(std::move(r));
    }
    return true;
}

// The JSON line after magic in text, or nullopt when text does not hold it whole.
std::optional<std::string_view> json_line(std::string_view text, std::string_view magic) {
    if (text.substr(0, magic.size()) != magic) return std::nullopt;
    auto end = text.find('\n', magic.size());
    if (end == std::string_view::npos) return std::nullopt;
    return text.substr(magic.size(), end - magic.size());
}

}  // namespace

std::string envelope_json(const Envelope& env) {
    json j = {{"id", env.id},
              {"sender", env.sender},
              {"recipients", recipients_json(env, true)},
              {"arrival", to_us(env.arrival)},
              {"client", env.client},
              {"auth_user", env.auth_user},
              {"smtputf8", env.smtputf8},
              {"size", env.size}};
    if (env.ret != mail::DsnReturn::unspecified) j["ret"] = mail::dsn_return_name(env.ret);
    if (!env.envid.empty()) j["envid"] = env.envid;
    if (env.body_file) j["body"] = "file";
    return dump(j);
}

std::string encode_header(const Envelope& env) {
    std::string out(kMessageMagic);
    out += envelope_json(env);
    out += '\n';
    return out;
}

std::error_code parse_envelope_json(std::string_view line, Envelope& env) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return Errc::corrupt;
    Envelope e;
    std::int64_t arrival = 0;
    auto utf8 = j.find("smtputf8");
    if (!get(j, "id", e.id) || !get(j, "sender", e.sender) || !get(j, "arrival", arrival) ||
        !get(j, "size", e.size) || !parse_recipients(j.value("recipients", json()), e.recipients) ||
        utf8 == j.end() || !utf8->is_boolean()) {
        return Errc::corrupt;
    }
    get(j, "client", e.client);  // optional: informational only
    get(j, "auth_user", e.auth_user);
    get(j, "envid", e.envid);  // optional, like ret: only when the client gave them
    std::string body;
    get(j, "body", body);  // optional: absent = the bytes follow in the record
    if (!body.empty() && body != "file") return Errc::corrupt;
    e.body_file = body == "file";
    std::string ret;
    get(j, "ret", ret);
    auto r = mail::parse_dsn_return_name(ret);
    if (!r) return Errc::corrupt;
    e.ret = *r;
    e.smtputf8 = utf8->get<bool>();
    e.arrival = from_us(arrival);
    env = std::move(e);
    return {};
}

std::error_code decode_header(std::string_view text, Envelope& env, std::size_t& header_len) {
    auto line = json_line(text, kMessageMagic);
    if (!line) return Errc::corrupt;
    if (auto ec = parse_envelope_json(*line, env)) return ec;
    header_len = kMessageMagic.size() + line->size() + 1;
    return {};
}

std::string state_json(const Envelope& env) {
    json j = {{"recipients", recipients_json(env, false)},
              {"next_attempt", to_us(env.next_attempt)},
              {"warned", env.warned},
              {"held", env.held}};
    if (env.attempts) j["attempts"] = env.attempts;
    return dump(j);
}

std::string encode_state(const Envelope& env) {
    std::string out(kStateMagic);
    out += state_json(env);
    out += '\n';
    return out;
}

std::error_code apply_state_json(std::string_view line, Envelope& env) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    std::vector<Recipient> rcpts;
    std::int64_t next = 0;
    if (!j.is_object() || !parse_recipients(j.value("recipients", json()), rcpts) ||
        !get(j, "next_attempt", next)) {
        return Errc::corrupt;
    }
    bool warned = false, held = false;
    get(j, "warned", warned);  // optional: older state files lack both
    get(j, "held", held);
    std::int64_t attempts = 0;
    get(j, "attempts", attempts);  // optional: absent in older spools
    if (rcpts.size() != env.recipients.size()) return Errc::recipients_mismatch;
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
        if (rcpts[i].address != env.recipients[i].address) return Errc::recipients_mismatch;
    }
    // Only what changes: the DSN parameters stay as the message record has them.
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
        env.recipients[i].kind = rcpts[i].kind;
        env.recipients[i].state = rcpts[i].state;
        env.recipients[i].last_error = std::move(rcpts[i].last_error);
    }
    env.next_attempt = from_us(next);
    env.warned = warned;
    env.held = held;
    env.attempts = static_cast<unsigned>(std::clamp<std::int64_t>(attempts, 0, 1 << 20));
    return {};
}

std::error_code decode_state(std::string_view text, Envelope& env) {
    auto line = json_line(text, kStateMagic);
    if (!line) return Errc::corrupt;
    return apply_state_json(*line, env);
}

std::error_code read_message_file(const std::filesystem::path& file, Envelope& env,
                                  std::string& body) {
    std::string data;
    if (auto ec = util::read_file(file, data)) return ec;
    std::size_t header_len = 0;
    if (auto ec = decode_header(data, env, header_len)) return ec;
    if (data.size() != header_len + env.size) return Errc::corrupt;
    body.assign(data, header_len);
    return {};
}

}  // namespace holdfast::queue::record
