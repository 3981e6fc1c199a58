#include "dkim/tag_list.hpp"

namespace holdfast::dkim {
namespace {

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
// tag-value characters: VCHAR except ";" (RFC 6376 3.2 tval).
bool is_tval(char c) {
    return c >= 0x21 && c <= 0x7e && c != ';';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<TagList> TagList::parse(std::string_view text) {
    TagList list;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t semi = text.find(';', pos);
        std::string_view spec =
            text.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
        pos = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
        if (trim(spec).empty()) {
            // Only the trailing ";" may leave an empty spec.
            if (pos > text.size()) break;
            return std::nullopt;
        }
        std::size_t eq = spec.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view name = trim(spec.substr(0, eq));
        std::string_view value = trim(spec.substr(eq + 1));
        if (name.empty() || !is_alpha(name[0])) return std::nullopt;
        for (char c : name) {
            if (!is_alpha(c) && !is_digit(c) && c != '_') return std::nullopt;
        }
        for (char c : value) {
            if (!is_tval(c) && !is_fws(c)) return std::nullopt;
        }
        if (list.find(name)) return std::nullopt;
        list.tags_.push_back(Tag{std::string(name), std::string(value)});
    }
    return list;
}

const std::string* TagList::find(std::string_view name) const {
    for (const auto& t : tags_) {
        if (t.name == name) return &t.value;
    }
    return nullptr;
}

std::string strip_fws(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (!is_fws(c)) out += c;
    }
    return out;
}

}  // namespace holdfast::dkim
