#include "util/strings.hpp"

#include <fmt/format.h>

#include <clocale>
#include <cstdint>
#include <cwctype>

#include <locale.h>
#include <wctype.h>

namespace holdfast::util {

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

std::string printable(std::string_view s, std::size_t max_len) {
    std::string out;
    for (unsigned char c : s) {
        if (out.size() >= max_len) {
            out += "...";
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    return out;
}

std::size_t utf8_sequence(std::string_view s) {
    if (s.empty()) return 0;
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = b(0);
    std::size_t n = c >= 0xf0 && c <= 0xf4 ? 4
                    : c >= 0xe0            ? (c <= 0xef ? 3 : 0)
                    : c >= 0xc2            ? 2
                                           : 0;
    if (n == 0 || s.size() < n) return 0;
    std::uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
    for (std::size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(i) & 0x3f);
    }
    static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0) return 0;
    return n;
}

std::string printable_utf8(std::string_view s, std::size_t max_len) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (out.size() >= max_len) {
            out += "...";
            break;
        }
        if (std::size_t n = utf8_sequence(s.substr(i))) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        auto c = static_cast<unsigned char>(s[i++]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    return out;
}

namespace {

// Decodes the well-formed sequence of length n (from utf8_sequence).
std::uint32_t decode_utf8(std::string_view s, std::size_t n) {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    std::uint32_t cp = b(0) & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
    for (std::size_t i = 1; i < n; ++i) cp = (cp << 6) | (b(i) & 0x3f);
    return cp;
}

void encode_utf8(std::uint32_t cp, std::string& out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// The C.UTF-8 locale's case tables, whatever the process's own locale.
locale_t utf8_locale() {
    static const locale_t loc = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    return loc;
}

}  // namespace

std::string fold_local_part(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    locale_t loc = utf8_locale();
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
            ++i;
            continue;
        }
        // utf8_sequence skips U+0080..U+009F (C1 controls); they have no case.
        std::size_t n = utf8_sequence(s.substr(i));
        if (n == 0 || loc == static_cast<locale_t>(0)) {
            out += s[i++];
            continue;
        }
        std::uint32_t cp = decode_utf8(s.substr(i), n);
        auto lower = static_cast<std::uint32_t>(::towlower_l(static_cast<wint_t>(cp), loc));
        encode_utf8(lower, out);
        i += n;
    }
    return out;
}

}  // namespace holdfast::util
