#include "dkim/header_section.hpp"

namespace holdfast::dkim {
namespace {

std::string field_name(std::string_view raw) {
    std::string_view name = raw.substr(0, raw.find(':'));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    std::string out(name);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace

std::size_t HeaderSection::feed(std::string_view bytes) {
    std::size_t used = 0;
    while (used < bytes.size() && !done_) {
        char c = bytes[used++];
        if (line_.size() < max_bytes_) {
            line_ += c;
        } else {
            overflow_ = true;
        }
        if (c == '\n') end_line();
    }
    return used;
}

void HeaderSection::end_line() {
    std::string_view line = line_;
    // The line without its ending (CRLF; a lone LF is taken as one too).
    std::string_view text = line.substr(0, line.size() - 1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) {
        commit();
        done_ = true;
    } else if ((text[0] == ' ' || text[0] == '\t') && has_field_) {
        field_ += "\r\n";
        field_ += text;
    } else {
        commit();
        field_.assign(text);
        has_field_ = true;
    }
    line_.clear();
}

void HeaderSection::commit() {
    if (!has_field_) return;
    has_field_ = false;
    kept_ += field_.size();
    if (kept_ > max_bytes_) overflow_ = true;
    if (!overflow_) fields_.push_back(HeaderField{field_name(field_), std::move(field_)});
    field_.clear();
}

void HeaderSection::finish() {
    if (done_) return;
    if (!line_.empty()) {
        line_ += '\n';
        if (line_ != "\n") end_line();
    }
    commit();
    done_ = true;
}

std::vector<const HeaderField*> instances_bottom_up(const std::vector<HeaderField>& fields,
                                                    std::string_view name) {
    std::vector<const HeaderField*> out;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
        if (it->name == name) out.push_back(&*it);
    }
    return out;
}

}  // namespace holdfast::dkim
