#include "smtp/protocol/dsn_params.hpp"

#include "util/strings.hpp"

namespace holdfast::smtp {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // RFC 3461 4: upper case only
}

bool is_xchar(unsigned char c) {
    return c >= '!' && c <= '~' && c != '+' && c != '=';
}

// Decoded ids and addresses end up in notices and logs: no controls.
bool has_control(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

// RFC 5322 atext: what an addr-type (an atom) may hold.
bool is_atext(char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> xtext_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '+') {
            if (i + 2 >= text.size()) return std::nullopt;  // "+" or "+4" at the end
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (is_xchar(c)) {
            out += static_cast<char>(c);
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string xtext_encode(std::string_view raw) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : raw) {
        if (is_xchar(c)) {
            out += static_cast<char>(c);
        } else {
            out += '+';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::optional<mail::DsnReturn> parse_ret(std::string_view value, std::string& why) {
    if (util::iequals(value, "FULL")) return mail::DsnReturn::full;
    if (util::iequals(value, "HDRS")) return mail::DsnReturn::headers;
    why = "RET must be FULL or HDRS";
    return std::nullopt;
}

std::optional<std::string> parse_envid(std::string_view value, std::string& why) {
    auto id = xtext_decode(value);
    if (!id || id->empty()) {
        why = "ENVID is not valid xtext";
        return std::nullopt;
    }
    if (id->size() > kMaxEnvid) {
        why = "ENVID is longer than 100 characters";
        return std::nullopt;
    }
    if (has_control(*id)) {
        why = "ENVID holds control characters";
        return std::nullopt;
    }
    return id;
}

std::optional<mail::DsnNotify> parse_notify(std::string_view value, std::string& why) {
    if (util::iequals(value, "NEVER")) return mail::DsnNotify::never();
    mail::DsnNotify n;
    n.specified = true;
    for (std::string_view word : util::split(value, ',')) {
        bool* flag = util::iequals(word, "SUCCESS")   ? &n.success
                     : util::iequals(word, "FAILURE") ? &n.failure
                     : util::iequals(word, "DELAY")   ? &n.delay
                                                      : nullptr;
        if (!flag) {
            why = "NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY";
            return std::nullopt;
        }
        if (*flag) {
            why = "NOTIFY names " + util::ascii_lower(word) + " twice";
            return std::nullopt;
        }
        *flag = true;
    }
    return n;
}

std::optional<std::string> parse_orcpt(std::string_view value, std::string& why) {
    auto semi = value.find(';');
    std::string_view type = value.substr(0, semi);
    bool type_ok = semi != std::string_view::npos && !type.empty();
    for (char c : type) type_ok = type_ok && is_atext(c);
    if (!type_ok) {
        why = "ORCPT must be addr-type;xtext (e.g. rfc822;alice@example.test)";
        return std::nullopt;
    }
    auto address = xtext_decode(value.substr(semi + 1));
    if (!address || address->empty()) {
        why = "ORCPT address is not valid xtext";
        return std::nullopt;
    }
    if (address->size() > kMaxOrcpt) {
        why = "ORCPT address is longer than 500 characters";
        return std::nullopt;
    }
    if (has_control(*address)) {
        why = "ORCPT address holds control characters";
        return std::nullopt;
    }
    return std::string(type) + ";" + *address;
}

std::string orcpt_parameter(std::string_view orcpt) {
    auto semi = orcpt.find(';');
    if (semi == std::string_view::npos) return "";
    return std::string(orcpt.substr(0, semi)) + ";" + xtext_encode(orcpt.substr(semi + 1));
}

std::string notify_parameter(const mail::DsnNotify& n) {
    if (!n.specified) return "";
    if (n.is_never()) return "NEVER";
    std::string out;
    for (auto [on, name] : {std::pair{n.success, "SUCCESS"}, std::pair{n.failure, "FAILURE"},
                            std::pair{n.delay, "DELAY"}}) {
        if (!on) continue;
        if (!out.empty()) out += ',';
        out += name;
    }
    return out;
}

}  // namespace holdfast::smtp
