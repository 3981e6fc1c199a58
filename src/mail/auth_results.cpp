#include "mail/auth_results.hpp"

#include <cctype>

namespace holdfast::mail {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool is_wsp(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Skips white space and (nested, escaped) comments from `i`.
std::size_t skip_cfws(std::string_view s, std::size_t i) {
    for (;;) {
        while (i < s.size() && is_wsp(s[i])) ++i;
        if (i >= s.size() || s[i] != '(') return i;
        int depth = 0;
        for (; i < s.size(); ++i) {
            if (s[i] == '\\') {
                if (i + 1 < s.size()) ++i;  // the escaped octet; a last backslash escapes nothing
                continue;
            }
            if (s[i] == '(') ++depth;
            if (s[i] == ')' && --depth == 0) {
                ++i;
                break;
            }
        }
    }
}

}  // namespace

std::string auth_results_id(std::string_view value) {
    std::size_t i = skip_cfws(value, 0);
    std::size_t start = i;
    while (i < value.size() && value[i] != ';' && value[i] != '(' && !is_wsp(value[i])) ++i;
    return std::string(value.substr(start, i - start));
}

std::optional<std::size_t> header_section_end(std::string_view head) {
    if (head.starts_with("\r\n")) return 2;
    auto at = head.find("\r\n\r\n");
    if (at == std::string_view::npos) return std::nullopt;
    return at + 4;
}

std::optional<std::string> without_auth_results_of(std::string_view section, std::string_view id) {
    constexpr std::string_view kName = "authentication-results";
    std::string out;
    out.reserve(section.size());
    bool removed = false;
    std::size_t i = 0;
    while (i < section.size()) {
        // One field: its first line and every folded line after it.
        std::size_t end = i;
        do {
            auto eol = section.find("\r\n", end);
            end = eol == std::string_view::npos ? section.size() : eol + 2;
        } while (end < section.size() && (section[end] == ' ' || section[end] == '\t'));
        std::string_view field = section.substr(i, end - i);
        auto colon = field.find(':');
        bool ours = false;
        if (colon != std::string_view::npos) {
            std::string_view name = field.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
                name.remove_suffix(1);
            }
            ours = iequals(name, kName) && !id.empty() &&
                   iequals(auth_results_id(field.substr(colon + 1)), id);
        }
        if (ours) {
            removed = true;
        } else {
            out.append(field);
        }
        i = end;
    }
    if (!removed) return std::nullopt;
    return out;
}

}  // namespace holdfast::mail
