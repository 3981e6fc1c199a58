#include "queue/record.hpp"

#include <nlohmann/json.hpp>

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

std::error_code apply_state(State state, Envelope& env) {
    if (state.recipients.size() != env.recipients.size()) return Errc::recipients_mismatch;
    for (std::size_t i = 0; i < state.recipients.size(); ++i) {
        if (state.recipients[i].address != env.recipients[i].address)
            return Errc::recipients_mismatch;
    }
    // Only what changes: the DSN parameters stay as the message record has them.
    for (std::size_t i = 0; i < state.recipients.size(); ++i) {
        env.recipients[i].kind = state.recipients[i].kind;
        env.recipients[i].state = state.recipients[i].state;
        env.recipients[i].last_error = std::move(state.recipients[i].last_error);
    }
    env.next_attempt = state.next_attempt;
    env.warned = state.warned;
    env.held = state.held;
    env.attempts = state.attempts;
    return {};
}

std::error_code apply_state_json(std::string_view line, Envelope& env) {
    State state;
    if (auto ec = parse_state_json(line, state)) return ec;
    return apply_state(std::move(state), env);
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
