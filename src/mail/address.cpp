#include "mail/address.hpp"

#include <arpa/inet.h>

#include "util/strings.hpp"

namespace holdfast::mail {
namespace {

constexpr std::size_t kMaxLocal = 256;  // RFC says 64; real VERP/SRS addresses exceed it
constexpr std::size_t kMaxDomain = 255;

bool is_atext(unsigned char c, bool utf8) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    if (c >= 0x80) return utf8;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '/':
        case '=':
        case '?':
        case '^':
        case '_':
        case '`':
        case '{':
        case '|':
        case '}':
        case '~':
            return true;
        default:
            return false;
    }
}

// Atoms separated by single separators; with at_too, '@' separates as well
// (the lenient double-@ form, see the header).
bool is_dot_string(std::string_view s, bool at_too, bool utf8) {
    if (s.empty()) return false;
    bool prev_sep = true;  // a leading separator is an error
    for (unsigned char c : s) {
        bool sep = c == '.' || (at_too && c == '@');
        if (sep) {
            if (prev_sep) return false;
            prev_sep = true;
        } else if (is_atext(c, utf8)) {
            prev_sep = false;
        } else {
            return false;
        }
    }
    return !prev_sep;
}

bool is_label_char(unsigned char c, bool utf8) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           (utf8 && c >= 0x80);
}

// Parses "[...]" into its normalised text, or nullopt.
std::optional<std::string> parse_literal(std::string_view s) {
    if (s.size() < 3 || s.front() != '[' || s.back() != ']') return std::nullopt;
    std::string inner(s.substr(1, s.size() - 2));
    char buf[INET6_ADDRSTRLEN];
    if (util::istarts_with(inner, "IPv6:")) {
        in6_addr a6{};
        if (inet_pton(AF_INET6, inner.c_str() + 5, &a6) != 1) return std::nullopt;
        inet_ntop(AF_INET6, &a6, buf, sizeof buf);
        return "[IPv6:" + std::string(buf) + "]";
    }
    in_addr a4{};
    if (inet_pton(AF_INET, inner.c_str(), &a4) != 1) return std::nullopt;
    inet_ntop(AF_INET, &a4, buf, sizeof buf);
    return "[" + std::string(buf) + "]";
}

// A domain or address literal, normalised; error otherwise.
AddressError parse_domain_part(std::string_view s, bool utf8, std::string& out) {
    if (!s.empty() && s.front() == '[') {
        auto lit = parse_literal(s);
        if (!lit) return AddressError::bad_literal;
        out = *lit;
        return AddressError::none;
    }
    if (s.size() > kMaxDomain + 1) return AddressError::too_long;
    if (!is_valid_domain(s, utf8)) return AddressError::bad_domain;
    out = normalize_domain(s);
    return AddressError::none;
}

// "@a,@b:" at the start of s; returns octets used, 0 on error.
std::size_t skip_route(std::string_view s, bool utf8) {
    std::size_t pos = 0;
    for (;;) {
        if (pos >= s.size() || s[pos] != '@') return 0;
        std::size_t end = s.find_first_of(",:", pos + 1);
        if (end == std::string_view::npos) return 0;
        std::string ignored;
        if (parse_domain_part(s.substr(pos + 1, end - pos - 1), utf8, ignored) !=
            AddressError::none) {
            return 0;
        }
        pos = end + 1;
        if (s[end] == ':') return pos;
    }
}

PathParse fail(AddressError e) {
    return PathParse{std::nullopt, e, 0};
}

// The mailbox between the brackets (route already removed).
AddressError parse_mailbox_text(std::string_view s, bool utf8, Address& out) {
    std::string_view domain_text;
    bool qualified = false;
    if (!s.empty() && s.front() == '"') {
        std::string local;
        std::size_t i = 1;
        for (;; ++i) {
            if (i >= s.size()) return AddressError::bad_local_part;
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c == '"') break;
            if (c == '\\') {
                if (++i >= s.size()) return AddressError::bad_local_part;
                c = static_cast<unsigned char>(s[i]);
                if (c < 32 || c == 127 || (c >= 0x80 && !utf8)) return AddressError::bad_local_part;
            } else if (c < 32 || c == 127 || (c >= 0x80 && !utf8)) {
                return AddressError::bad_local_part;
            }
            local += static_cast<char>(c);
        }
        std::string_view after = s.substr(i + 1);
        if (!after.empty()) {
            if (after.front() != '@') return AddressError::bad_local_part;
            domain_text = after.substr(1);
            qualified = true;
        }
        if (local.empty() && !qualified) return AddressError::bad_local_part;
        out.local = std::move(local);
        out.quoted = true;
    } else {
        std::size_t at = s.rfind('@');
        std::string_view local = at == std::string_view::npos ? s : s.substr(0, at);
        if (at != std::string_view::npos) {
            domain_text = s.substr(at + 1);
            qualified = true;
        }
        if (!is_dot_string(local, /*at_too=*/true, utf8)) return AddressError::bad_local_part;
        out.local = std::string(local);
    }
    if (out.local.size() > kMaxLocal) return AddressError::too_long;
    if (qualified) return parse_domain_part(domain_text, utf8, out.domain);
    return AddressError::none;
}

}  // namespace

bool Address::has_routing() const {
    return local.find_first_of("%!@") != std::string::npos;
}

std::string Address::str() const {
    if (is_null()) return "";
    std::string out;
    if (is_dot_string(local, /*at_too=*/false, /*utf8=*/true)) {
        out = local;
    } else {
        out = "\"";
        for (char c : local) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    if (!domain.empty()) out += "@" + domain;
    return out;
}

std::string_view describe(AddressError e) {
    switch (e) {
        case AddressError::none:
            return "ok";
        case AddressError::missing_brackets:
            return "address must be enclosed in <>";
        case AddressError::bad_route:
            return "malformed source route";
        case AddressError::bad_local_part:
            return "bad local part";
        case AddressError::bad_domain:
            return "bad domain name";
        case AddressError::bad_literal:
            return "bad address literal";
        case AddressError::too_long:
            return "address too long";
        case AddressError::null_not_allowed:
            return "null address not allowed here";
    }
    return "bad address";
}

PathParse parse_path(std::string_view text, PathOptions options) {
    if (text.empty() || text.front() != '<') return fail(AddressError::missing_brackets);
    if (text.starts_with("<>")) {
        if (!options.allow_null) return fail(AddressError::null_not_allowed);
        return PathParse{Address{}, AddressError::none, 2};
    }
    std::size_t pos = 1;
    Address address;
    if (pos < text.size() && text[pos] == '@') {
        std::size_t used = skip_route(text.substr(pos), options.allow_utf8);
        if (used == 0) return fail(AddressError::bad_route);
        pos += used;
        address.had_route = true;
    }
    // Find the closing '>' outside a quoted local part.
    std::size_t end = pos;
    if (end < text.size() && text[end] == '"') {
        for (++end; end < text.size() && text[end] != '"'; ++end) {
            if (text[end] == '\\') ++end;
        }
        if (end >= text.size()) return fail(AddressError::bad_local_part);
    }
    end = text.find('>', end);
    if (end == std::string_view::npos) return fail(AddressError::missing_brackets);
    std::string_view inner = text.substr(pos, end - pos);
    if (inner.empty()) return fail(AddressError::bad_local_part);
    if (auto e = parse_mailbox_text(inner, options.allow_utf8, address); e != AddressError::none) {
        return fail(e);
    }
    return PathParse{std::move(address), AddressError::none, end + 1};
}

std::optional<Address> parse_mailbox(std::string_view text, bool allow_utf8) {
    Address a;
    if (text.empty() || text.front() == '@') return std::nullopt;
    if (parse_mailbox_text(text, allow_utf8, a) != AddressError::none) return std::nullopt;
    return a;
}

bool is_valid_domain(std::string_view d, bool allow_utf8) {
    if (!d.empty() && d.back() == '.') d.remove_suffix(1);
    if (d.empty() || d.size() > kMaxDomain) return false;
    for (std::string_view label : util::split(d, '.')) {
        if (label.empty() || label.size() > 63) return false;
        if (label.front() == '-' || label.back() == '-') return false;
        for (unsigned char c : label) {
            if (!is_label_char(c, allow_utf8)) return false;
        }
    }
    return true;
}

std::string normalize_domain(std::string_view d) {
    if (!d.empty() && d.back() == '.') d.remove_suffix(1);
    return util::ascii_lower(d);
}

std::optional<Address> unwrap_routing(const Address& a) {
    const std::string& l = a.local;
    Address inner;
    if (auto at = l.rfind('@'); at != std::string::npos) {
        inner.local = l.substr(0, at);
        inner.domain = normalize_domain(l.substr(at + 1));
    } else if (auto pct = l.rfind('%'); pct != std::string::npos) {
        inner.local = l.substr(0, pct);
        inner.domain = normalize_domain(l.substr(pct + 1));
    } else if (auto bang = l.find('!'); bang != std::string::npos) {
        inner.domain = normalize_domain(l.substr(0, bang));
        inner.local = l.substr(bang + 1);
    } else {
        return std::nullopt;
    }
    return inner;
}

}  // namespace holdfast::mail
