#include "smtp/protocol/reply.hpp"

namespace holdfast::smtp {

std::string Reply::wire() const {
    std::string out;
    append_wire(out);
    return out;
}

void Reply::append_wire(std::string& out) const {
    // Three digits by hand: std::to_string would be a string per reply.
    const bool three_digits = code >= 100 && code <= 999;
    char digits[3] = {static_cast<char>('0' + code / 100 % 10),
                      static_cast<char>('0' + code / 10 % 10), static_cast<char>('0' + code % 10)};
    const std::string code_view =
        three_digits ? std::string(digits, 3) : std::to_string(code);  // fits in place (SSO)
    std::size_t n = lines.empty() ? 1 : lines.size();
    std::size_t size = 0;
    for (const auto& l : lines) size += l.size();
    out.reserve(out.size() + size + n * (8 + enhanced.size()));
    for (std::size_t i = 0; i < n; ++i) {
        out += code_view;
        out += (i + 1 < n) ? '-' : ' ';
        if (!enhanced.empty()) {
            out += enhanced;
            if (!lines.empty() && !lines[i].empty()) out += ' ';
        }
        if (!lines.empty()) out += lines[i];
        out += "\r\n";
    }
}

std::string Reply::summary() const {
    std::string out = std::to_string(code);
    if (!enhanced.empty()) out += " " + enhanced;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        out += (i == 0) ? " " : " / ";
        out += lines[i];
    }
    return out;
}

}  // namespace holdfast::smtp
