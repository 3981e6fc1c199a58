#include "sendmail/message.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace holdfast::sendmail {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string trim(std::string_view s) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return std::string(s);
}

// RFC 5322 3.6.1: field name = printable US-ASCII except ':'.
bool is_field_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(),
                       [](unsigned char c) { return c > 32 && c < 127 && c != ':'; });
}

// One mailbox from an address-list item with comments already removed:
// the part in angle brackets when there is one (without an obsolete source
// route "@a,@b:"), else the whole item.
std::string mailbox_of(const std::string& item, std::string_view domain) {
    std::string addr;
    auto open = item.rfind('<');
    if (open != std::string::npos) {
        auto close = item.find('>', open);
        if (close == std::string::npos) return "";
        addr = trim(std::string_view(item).substr(open + 1, close - open - 1));
        if (!addr.empty() && addr.front() == '@') {
            auto colon = addr.find(':');
            if (colon == std::string::npos) return "";
            addr = addr.substr(colon + 1);
        }
    } else {
        addr = trim(item);
    }
    if (addr.empty()) return "";
    // Whitespace inside an address outside quotes makes no address.
    bool quoted = false;
    for (char c : addr) {
        if (c == '"') quoted = !quoted;
        if (!quoted && (c == ' ' || c == '\t')) return "";
    }
    if (addr.find('@') == std::string::npos) {
        if (domain.empty()) return "";
        addr += "@";
        addr += domain;
    }
    return addr;
}

}  // namespace

std::vector<std::string> parse_address_list(std::string_view value, std::string_view domain) {
    std::vector<std::string> out;
    std::string item;  // the current item, comments removed
    int comment = 0;   // nesting depth of ( )
    bool quoted = false, angle = false;
    auto finish = [&] {
        if (auto a = mailbox_of(item, domain); !a.empty()) out.push_back(a);
        item.clear();
    };
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '\\' && (quoted || comment) && i + 1 < value.size()) {
            if (!comment) {
                item += c;
                item += value[i + 1];
            }
            ++i;
            continue;
        }
        if (comment) {
            if (c == '(') ++comment;
            if (c == ')') --comment;
            continue;
        }
        if (quoted) {
            item += c;
            if (c == '"') quoted = false;
            continue;
        }
        switch (c) {
            case '(':
                comment = 1;
                item += ' ';
                break;
            case '"':
                quoted = true;
                item += c;
                break;
            case '<':
                angle = true;
                item += c;
                break;
            case '>':
                angle = false;
                item += c;
                break;
            case ',':
                if (angle) {
                    item += c;  // inside a source route
                } else {
                    finish();
                }
                break;
            case ':':
                if (angle) {
                    item += c;
                } else {
                    item.clear();  // a group's display name: its members follow
                }
                break;
            case ';':
                if (!angle) {
                    finish();  // a group ends
                } else {
                    item += c;
                }
                break;
            default:
                item += c;
        }
    }
    if (!quoted && !comment) finish();
    return out;
}

std::vector<Header> parse_header_section(std::string_view m) {
    std::vector<Header> out;
    std::size_t pos = 0;
    while (pos < m.size()) {
        std::size_t eol = m.find('\n', pos);
        std::size_t end = eol == std::string_view::npos ? m.size() : eol;
        std::string_view line = m.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t')) {
            if (out.empty()) break;  // a continuation of nothing: the body
            out.back().value += line;
        } else {
            auto colon = line.find(':');
            if (colon == std::string_view::npos) break;
            std::string_view name = line.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
                name.remove_suffix(1);
            }
            if (!is_field_name(name)) break;
            out.push_back({std::string(name), std::string(line.substr(colon + 1))});
        }
        pos = end + (eol == std::string_view::npos ? 0 : 1);
    }
    return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    return fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000", tm);
}

Prepared prepare(std::string_view input, const PrepareInput& in) {
    // CRLF everywhere: bare LF and bare CR both become CRLF.
    std::string text;
    text.reserve(input.size() + input.size() / 32 + 2);
    for (std::size_t i = 0; i < input.size(); ++i) {
        char c = input[i];
        if (c == '\r') {
            text += "\r\n";
            if (i + 1 < input.size() && input[i + 1] == '\n') ++i;
        } else if (c == '\n') {
            text += "\r\n";
        } else {
            text += c;
        }
    }
    if (!text.empty() && !text.ends_with("\r\n")) text += "\r\n";

    // Where the header section ends (the start of the body or of its empty line).
    std::vector<Header> headers = parse_header_section(text);
    std::size_t header_end = 0;
    for (std::size_t n = 0; header_end < text.size();) {
        std::size_t eol = text.find("\r\n", header_end);
        std::string_view line(text.data() + header_end, eol - header_end);
        bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
        if (line.empty() || (continuation && n == 0) || (!continuation && n >= headers.size()))
            break;
        if (!continuation) ++n;
        header_end = eol + 2;
    }
    std::string head = text.substr(0, header_end);
    std::string rest = text.substr(header_end);

    Prepared out;
    bool has_from = false, has_date = false, has_id = false;
    for (const auto& h : headers) {
        has_from = has_from || iequals(h.name, "From");
        has_date = has_date || iequals(h.name, "Date");
        has_id = has_id || iequals(h.name, "Message-ID");
        if (in.extract &&
            (iequals(h.name, "To") || iequals(h.name, "Cc") || iequals(h.name, "Bcc"))) {
            for (auto& a : parse_address_list(h.value, in.domain)) {
                if (std::find(out.recipients.begin(), out.recipients.end(), a) ==
                    out.recipients.end()) {
                    out.recipients.push_back(std::move(a));
                }
            }
        }
    }
    // Bcc goes (Postfix removes it whatever -t says): its field and its
    // continuation lines.
    std::string kept;
    bool dropping = false;
    for (std::size_t pos = 0; pos < head.size();) {
        std::size_t eol = head.find("\r\n", pos);
        std::string_view line(head.data() + pos, eol + 2 - pos);
        bool continuation = line[0] == ' ' || line[0] == '\t';
        if (!continuation) {
            auto colon = line.find(':');
            std::string name = trim(line.substr(0, colon));
            dropping = iequals(name, "Bcc");
        }
        if (!dropping) kept += line;
        pos = eol + 2;
    }
    std::string added;
    if (!has_from) {
        if (in.full_name.empty() || in.sender.empty()) {
            added += fmt::format("From: {}\r\n", in.sender.empty() ? "MAILER-DAEMON" : in.sender);
        } else {
            // A quoted display name (RFC 5322 3.2.4): '"' and '\' escaped,
            // line breaks dropped.
            std::string name;
            for (char c : in.full_name) {
                if (c == '\r' || c == '\n') continue;
                if (c == '"' || c == '\\') name += '\\';
                name += c;
            }
            added += fmt::format("From: \"{}\" <{}>\r\n", name, in.sender);
        }
    }
    if (!has_date) added += "Date: " + rfc5322_date(in.now) + "\r\n";
    if (!has_id) added += fmt::format("Message-ID: <{}@{}>\r\n", in.queue_id, in.domain);
    // No header section at all: ours, then the empty line, then the text.
    if (headers.empty() && !rest.starts_with("\r\n")) rest = "\r\n" + rest;
    out.message = kept + added + rest;
    return out;
}

}  // namespace holdfast::sendmail
