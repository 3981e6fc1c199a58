#include "dkim/canon.hpp"

namespace holdfast::dkim {
namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string relaxed_header(std::string_view field) {
    std::string out;
    out.reserve(field.size() + 2);
    std::size_t colon = field.find(':');
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    for (char c : name) out += lower(c);
    out += ':';
    if (colon == std::string_view::npos) return out + "\r\n";
    bool wsp = false;
    bool started = false;
    for (char c : field.substr(colon + 1)) {
        if (c == '\r' || c == '\n') continue;  // unfolding: the WSP after stays
        if (is_wsp(c)) {
            wsp = true;
            continue;
        }
        if (wsp && started) out += ' ';
        wsp = false;
        started = true;
        out += c;
    }
    out += "\r\n";
    return out;
}

void RelaxedBody::feed(std::string_view bytes) {
    for (char c : bytes) put(c);
    if (out_.size() >= 4096) flush();
}

void RelaxedBody::put(char c) {
    if (cr_) {
        cr_ = false;
        if (c == '\n') {
            // End of line: trailing WSP goes; an empty line waits.
            if (line_has_content_) {
                out_ += "\r\n";
            } else {
                ++blank_lines_;
            }
            line_has_content_ = false;
            wsp_ = false;
            return;
        }
        content('\r');  // a lone CR is an ordinary character
    }
    if (c == '\r') {
        cr_ = true;
    } else if (is_wsp(c)) {
        wsp_ = true;
    } else {
        content(c);
    }
}

void RelaxedBody::content(char c) {
    if (!line_has_content_) {
        for (; blank_lines_ > 0; --blank_lines_) out_ += "\r\n";
    }
    if (wsp_) out_ += ' ';
    wsp_ = false;
    line_has_content_ = true;
    out_ += c;
    if (out_.size() >= 4096) flush();
}

void RelaxedBody::finish() {
    if (cr_) {
        cr_ = false;
        content('\r');
    }
    if (line_has_content_) out_ += "\r\n";  // a body not ending in CRLF gets one
    line_has_content_ = false;
    flush();
}

void RelaxedBody::flush() {
    if (out_.empty()) return;
    sink_(out_);
    out_.clear();
}

}  // namespace holdfast::dkim
