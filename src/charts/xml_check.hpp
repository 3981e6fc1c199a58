#pragma once
// For the tests and the fuzzer only: a small well-formedness check of the
// XML the charts write (elements nest and close, attribute values are
// quoted, & only starts an entity, < only starts a tag, the text is valid
// UTF-8 without control characters). Not a general XML parser: no
// comments, CDATA, DOCTYPE or processing instructions, which the charts
// never write. Returns "" when well-formed, else what is wrong.
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::charts::testing {

inline bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':' || c == '.';
}

// `s` from `i` is "&name;" or "&#digits;".
inline bool entity_at(std::string_view s, std::size_t i) {
    std::size_t end = s.find(';', i);
    if (end == std::string_view::npos || end == i + 1 || end - i > 10) return false;
    std::string_view e = s.substr(i + 1, end - i - 1);
    if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") return true;
    if (e[0] != '#' || e.size() < 2) return false;
    for (char c : e.substr(1)) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

inline std::string check_text(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '<') return "raw < in text";
        if (c == '&' && !entity_at(s, i)) return "raw & in text";
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return "control character";
        if (c >= 0x80) {
            std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
            if (n == 0 || c > 0xF4 || i + n > s.size()) return "bad UTF-8";
            for (std::size_t k = 1; k < n; ++k) {
                if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return "bad UTF-8";
            }
            i += n - 1;
        }
    }
    return "";
}

inline std::string well_formed(std::string_view xml) {
    std::vector<std::string> open;
    std::size_t i = 0, roots = 0;
    while (i < xml.size()) {
        std::size_t lt = xml.find('<', i);
        std::string e = check_text(xml.substr(i, lt == std::string_view::npos ? lt : lt - i));
        if (!e.empty()) return e;
        if (lt == std::string_view::npos) break;
        if (open.empty() && roots &&
            xml.substr(i, lt - i).find_first_not_of(" \n") != std::string_view::npos)
            return "text after the root";
        std::size_t gt = lt + 1;
        char quote = 0;
        for (; gt < xml.size(); ++gt) {
            if (quote) {
                if (xml[gt] == quote) quote = 0;
                if (xml[gt] == '<') return "raw < in an attribute";
            } else if (xml[gt] == '"' || xml[gt] == '\'') {
                quote = xml[gt];
            } else if (xml[gt] == '>') {
                break;
            }
        }
        if (gt >= xml.size()) return "unterminated tag";
        std::string_view tag = xml.substr(lt + 1, gt - lt - 1);
        bool closing = !tag.empty() && tag[0] == '/';
        bool empty = !tag.empty() && tag.back() == '/';
        std::string_view body = tag.substr(closing ? 1 : 0);
        if (empty) body.remove_suffix(1);
        std::size_t n = 0;
        while (n < body.size() && name_char(body[n])) ++n;
        if (n == 0) return "tag without a name";
        std::string name(body.substr(0, n));
        // Attributes: name="value" pairs.
        std::string_view rest = body.substr(n);
        while (!rest.empty()) {
            std::size_t start = rest.find_first_not_of(" \n\t");
            if (start == std::string_view::npos) break;
            if (closing) return "attributes in a closing tag";
            if (start == 0) return "attributes not separated";
            rest.remove_prefix(start);
            std::size_t k = 0;
            while (k < rest.size() && name_char(rest[k])) ++k;
            if (k == 0 || k + 1 >= rest.size() || rest[k] != '=' ||
                (rest[k + 1] != '"' && rest[k + 1] != '\''))
                return "bad attribute in <" + name + ">";
            std::size_t close = rest.find(rest[k + 1], k + 2);
            if (close == std::string_view::npos) return "unterminated attribute";
            e = check_text(rest.substr(k + 2, close - k - 2));
            if (!e.empty()) return e + " (attribute of <" + name + ">)";
            rest.remove_prefix(close + 1);
        }
        if (closing) {
            if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
            open.pop_back();
        } else if (!empty) {
            if (open.empty()) ++roots;
            open.push_back(name);
        } else if (open.empty()) {
            ++roots;
        }
        if (roots > 1) return "more than one root element";
        i = gt + 1;
    }
    if (!open.empty()) return "<" + open.back() + "> never closed";
    if (roots != 1) return "no root element";
    return "";
}

}  // namespace holdfast::charts::testing
