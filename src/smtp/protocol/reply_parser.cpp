#include "smtp/protocol/reply_parser.hpp"

#include <vector>

namespace holdfast::smtp {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// "250 text", "250-text", "250": the code, or -1 when the line is not a reply line.
int line_code(std::string_view line) {
    if (line.size() < 3) return -1;
    if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || !is_digit(line[2])) {
        return -1;
    }
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return -1;
    return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

std::size_t digits_at(std::string_view s, std::size_t pos, std::size_t max) {
    std::size_t n = 0;
    while (pos + n < s.size() && n < max + 1 && is_digit(s[pos + n])) ++n;
    return n;
}

// Turns the collected line texts (after "NNN-" / "NNN ") into a Reply,
// lifting the enhanced code of the first line out of every line carrying it.
Reply build(int code, std::vector<std::string_view> texts) {
    Reply r;
    r.code = code;
    std::size_t len = texts.empty() ? 0 : enhanced_code_length(texts.front(), code / 100);
    if (len > 0) r.enhanced = std::string(texts.front().substr(0, len));
    for (std::string_view t : texts) {
        if (len > 0 && t.substr(0, len) == r.enhanced && (t.size() == len || t[len] == ' ')) {
            t.remove_prefix(t.size() == len ? len : len + 1);
        }
        r.lines.emplace_back(t);
    }
    return r;
}

}  // namespace

std::string_view describe(ReplyError e) {
    switch (e) {
        case ReplyError::none:
            return "no error";
        case ReplyError::bad_code:
            return "malformed reply code";
        case ReplyError::mixed_codes:
            return "multi-line reply changes its code";
        case ReplyError::line_too_long:
            return "reply line too long";
        case ReplyError::too_many_lines:
            return "too many lines in one reply";
        case ReplyError::nul_byte:
            return "NUL byte in reply";
    }
    return "unknown reply error";
}

std::size_t enhanced_code_length(std::string_view text, int reply_class) {
    if (reply_class < 2 || reply_class > 5 || text.size() < 5) return 0;
    if (text[0] != static_cast<char>('0' + reply_class) || text[1] != '.') return 0;
    std::size_t subject = digits_at(text, 2, 3);
    if (subject == 0 || subject > 3 || 2 + subject >= text.size() || text[2 + subject] != '.') {
        return 0;
    }
    std::size_t detail_at = 3 + subject;
    std::size_t detail = digits_at(text, detail_at, 3);
    if (detail == 0 || detail > 3) return 0;
    std::size_t end = detail_at + detail;
    if (end < text.size() && text[end] != ' ') return 0;
    return end;
}

void ReplyParser::feed(std::string_view bytes) {
    if (error_ != ReplyError::none) return;
    // Drop consumed bytes now and then so a long session does not grow the buffer.
    if (pos_ > 4096 && pos_ * 2 > buffer_.size()) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    buffer_.append(bytes);
}

ReplyParser::Result ReplyParser::fail(ReplyError e) {
    error_ = e;
    Result r;
    r.error = e;
    return r;
}

ReplyParser::Result ReplyParser::next() {
    if (error_ != ReplyError::none) return fail(error_);
    std::string_view buf(buffer_);
    std::vector<std::string_view> texts;
    int code = -1;
    std::size_t cursor = pos_;
    for (;;) {
        std::size_t nl = buf.find('\n', cursor);
        if (nl == std::string_view::npos) {
            if (buf.size() - cursor > limits_.max_line) return fail(ReplyError::line_too_long);
            return {};  // need more bytes
        }
        std::string_view line = buf.substr(cursor, nl - cursor);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > limits_.max_line) return fail(ReplyError::line_too_long);
        if (line.find('\0') != std::string_view::npos) return fail(ReplyError::nul_byte);
        int this_code = line_code(line);
        if (this_code < 0) return fail(ReplyError::bad_code);
        if (code >= 0 && this_code != code) return fail(ReplyError::mixed_codes);
        code = this_code;
        texts.push_back(line.size() > 4 ? line.substr(4) : std::string_view{});
        cursor = nl + 1;
        bool last = line.size() == 3 || line[3] == ' ';
        if (last) break;
        if (texts.size() >= limits_.max_lines) return fail(ReplyError::too_many_lines);
    }
    Result r;
    r.reply = build(code, std::move(texts));
    r.raw = std::string(buf.substr(pos_, cursor - pos_));
    pos_ = cursor;
    return r;
}

std::optional<Reply> parse_reply(std::string_view text) {
    ReplyParser p;
    p.feed(text);
    ReplyParser::Result r = p.next();
    if (!r.reply || p.has_partial()) return std::nullopt;
    return std::move(r.reply);
}

}  // namespace holdfast::smtp
