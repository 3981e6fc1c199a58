#include "smtp/protocol/reply.hpp"

namespace holdfast::smtp {

std::string Reply::wire() const {
    std::string out;
    append_wire(out);
    return out;
}

void Reply::append_wire(std::string& out) const {
    const std::string code_text = std::to_string(code);  // short: no allocation
    std::size_t n = lines.empty() ? 1 : lines.size();
    std::size_t size = 0;
    for (const auto& l : lines) size += l.size();
    out.reserve(out.size() + size + n * (8 + enhanced.size()));
    for (std::size_t i = 0; i < n; ++i) {
        out += code_text;
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
