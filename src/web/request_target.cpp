#include "web/request_target.hpp"

#include <vector>

namespace holdfast::web {
namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// %XX (and '+' as space when plus_space); nullopt on a broken escape.
std::optional<std::string> decode(std::string_view s, bool plus_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

bool has_control(std::string_view s, bool allow_tab) {
    for (unsigned char c : s) {
        if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f) return true;
    }
    return false;
}

std::optional<Params> parse_pairs(std::string_view s) {
    Params out;
    while (!s.empty()) {
        std::size_t amp = s.find('&');
        std::string_view pair = s.substr(0, amp);
        s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        auto name = decode(pair.substr(0, eq), true);
        auto value =
            decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name || !value) return std::nullopt;
        if (!valid_utf8(*name) || !valid_utf8(*value)) return std::nullopt;
        if (has_control(*name, false) || has_control(*value, true)) return std::nullopt;
        out.emplace(std::move(*name), std::move(*value));
    }
    return out;
}

}  // namespace

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        char32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

std::optional<Target> parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/') return std::nullopt;
    std::size_t q = target.find('?');
    std::string_view raw_path = target.substr(0, q);
    std::string_view raw_query =
        q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (std::size_t hash = raw_query.find('#'); hash != std::string_view::npos) {
        raw_query = raw_query.substr(0, hash);
    }
    auto decoded = decode(raw_path, false);
    if (!decoded || !valid_utf8(*decoded) || has_control(*decoded, false)) return std::nullopt;
    if (decoded->find('\\') != std::string::npos) return std::nullopt;
    std::vector<std::string_view> parts;
    std::string_view rest = *decoded;
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (parts.empty()) return std::nullopt;  // above the root: refused, not clamped
            parts.pop_back();
            continue;
        }
        parts.push_back(seg);
    }
    Target t;
    for (auto p : parts) t.path += "/" + std::string(p);
    if (t.path.empty()) t.path = "/";
    auto query = parse_pairs(raw_query);
    if (!query) return std::nullopt;
    t.query = std::move(*query);
    return t;
}

std::optional<Params> parse_form(std::string_view body) {
    return parse_pairs(body);
}

std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace holdfast::web
