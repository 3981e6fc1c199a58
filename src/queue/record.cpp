#include "queue/record.hpp"

#include "queue/errors.hpp"
#include "util/file.hpp"

namespace holdfast::queue::record {
namespace {

// The JSON line after magic in text, or nullopt when text does not hold it whole.
std::optional<std::string_view> json_line(std::string_view text, std::string_view magic) {
    if (text.substr(0, magic.size()) != magic) return std::nullopt;
    auto end = text.find('\n', magic.size());
    if (end == std::string_view::npos) return std::nullopt;
    return text.substr(magic.size(), end - magic.size());
}

}  // namespace

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
