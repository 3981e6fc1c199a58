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

void SimpleBody::feed(std::string_view bytes) {
    for (char c : bytes) {
        line_ += c;
        if (c != '\n' || line_.size() < 2 || line_[line_.size() - 2] != '\r') continue;
        if (line_.size() == 2) {
            ++blank_lines_;
        } else {
            std::string out;
            for (; blank_lines_ > 0; --blank_lines_) out += "\r\n";
            out += line_;
            sink_(out);
            any_ = true;
        }
        line_.clear();
    }
}

void SimpleBody::finish() {
    std::string out;
    if (!line_.empty()) {
        for (; blank_lines_ > 0; --blank_lines_) out += "\r\n";
        out += line_ + "\r\n";
    } else if (!any_) {
        out = "\r\n";  // an empty body is one CRLF
    }
    line_.clear();
    if (!out.empty()) sink_(out);
}

std::string without_b_value(std::string_view field) {
    std::string out;
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) return std::string(field);
    out.append(field.substr(0, colon + 1));
    std::size_t pos = colon + 1;
    while (pos <= field.size()) {
        std::size_t semi = field.find(';', pos);
        std::string_view spec =
            field.substr(pos, semi == std::string_view::npos ? semi : semi - pos);
        std::size_t eq = spec.find('=');
        std::string_view name = spec.substr(0, eq);
        while (!name.empty() &&
               (is_wsp(name.front()) || name.front() == '\r' || name.front() == '\n')) {
            name.remove_prefix(1);
        }
        while (!name.empty() &&
               (is_wsp(name.back()) || name.back() == '\r' || name.back() == '\n')) {
            name.remove_suffix(1);
        }
        if (eq != std::string_view::npos && name == "b") {
            out.append(spec.substr(0, eq + 1));
        } else {
            out.append(spec);
        }
        if (semi == std::string_view::npos) break;
        out += ';';
        pos = semi + 1;
    }
    return out;
}

}  // namespace holdfast::dkim
