#include "util/markup.hpp"

namespace holdfast::util {

void append_markup_escaped(std::string& out, char c) {
    switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
    }
}

std::string markup_escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) append_markup_escaped(out, c);
    return out;
}

}  // namespace holdfast::util
