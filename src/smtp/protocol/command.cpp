#include "smtp/protocol/command.hpp"

#include <array>
#include <charconv>

#include "smtp/protocol/dsn_params.hpp"
#include "util/strings.hpp"

namespace holdfast::smtp {
namespace {

struct VerbEntry {
    std::string_view name;
    Verb verb;
    bool takes_argument;  // false: anything after the verb is a syntax error
};

constexpr std::array<VerbEntry, 14> kVerbs{{
    {"HELO", Verb::helo, true},
    {"EHLO", Verb::ehlo, true},
    {"MAIL", Verb::mail, true},
    {"RCPT", Verb::rcpt, true},
    {"DATA", Verb::data, false},
    {"RSET", Verb::rset, false},
    {"NOOP", Verb::noop, true},
    {"QUIT", Verb::quit, false},
    {"VRFY", Verb::vrfy, true},
    {"EXPN", Verb::expn, true},
    {"HELP", Verb::help, true},
    {"STARTTLS", Verb::starttls, false},
    {"AUTH", Verb::auth, true},
    {"ETRN", Verb::etrn, true},
}};

CommandParse error(int code, const char* enhanced, std::string text) {
    return CommandParse{std::nullopt, Reply(code, enhanced, std::move(text))};
}

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return true;
    }
    return false;
}

Reply bad_param(std::string why) {
    return Reply(501, "5.5.4", "Syntax error: " + util::printable(why, 120));
}

// ESMTP parameters after a MAIL path: "SIZE=123 BODY=8BITMIME SMTPUTF8".
std::optional<Reply> parse_mail_params(std::string_view rest, MailParams& out) {
    bool seen_size = false, seen_body = false, seen_ret = false, seen_envid = false;
    std::string why;
    for (std::string_view word : util::split(rest, ' ')) {
        if (word.empty()) continue;
        auto eq = word.find('=');
        std::string_view key = word.substr(0, eq);
        std::string_view value =
            eq == std::string_view::npos ? std::string_view{} : word.substr(eq + 1);
        if (util::iequals(key, "SIZE") && !value.empty()) {
            std::size_t n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec != std::errc{} || end != value.data() + value.size() || seen_size) {
                return Reply(501, "5.5.4", "Syntax error in SIZE parameter");
            }
            out.size = n;
            seen_size = true;
        } else if (util::iequals(key, "BODY") && !seen_body) {
            if (util::iequals(value, "8BITMIME")) {
                out.body = Body::eight_bit_mime;
            } else if (util::iequals(value, "7BIT")) {
                out.body = Body::seven_bit;
            } else {
                return Reply(501, "5.5.4", "Unsupported BODY type (7BIT and 8BITMIME are)");
            }
            seen_body = true;
        } else if (util::iequals(key, "SMTPUTF8") && eq == std::string_view::npos) {
            out.smtputf8 = true;
        } else if (util::iequals(key, "AUTH") && !value.empty()) {
            // RFC 4954 5: accepted and ignored; trust comes from our own AUTH only.
        } else if (util::iequals(key, "RET")) {
            if (seen_ret) return bad_param("RET given twice");
            auto r = parse_ret(value, why);
            if (!r) return bad_param(why);
            out.ret = *r;
            seen_ret = true;
        } else if (util::iequals(key, "ENVID")) {
            if (seen_envid) return bad_param("ENVID given twice");
            auto id = parse_envid(value, why);
            if (!id) return bad_param(why);
            out.envid = std::move(*id);
            seen_envid = true;
        } else {
            return Reply(555, "5.5.4", "Unsupported parameter: " + util::printable(word, 60));
        }
    }
    return std::nullopt;
}

// ESMTP parameters after a RCPT path: "NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@b".
std::optional<Reply> parse_rcpt_params(std::string_view rest, RcptParams& out) {
    bool seen_notify = false, seen_orcpt = false;
    std::string why;
    for (std::string_view word : util::split(rest, ' ')) {
        if (word.empty()) continue;
        auto eq = word.find('=');
        std::string_view key = word.substr(0, eq);
        std::string_view value =
            eq == std::string_view::npos ? std::string_view{} : word.substr(eq + 1);
        if (util::iequals(key, "NOTIFY")) {
            if (seen_notify) return bad_param("NOTIFY given twice");
            auto n = parse_notify(value, why);
            if (!n) return bad_param(why);
            out.notify = *n;
            seen_notify = true;
        } else if (util::iequals(key, "ORCPT")) {
            if (seen_orcpt) return bad_param("ORCPT given twice");
            auto o = parse_orcpt(value, why);
            if (!o) return bad_param(why);
            out.orcpt = std::move(*o);
            seen_orcpt = true;
        } else {
            return Reply(555, "5.5.4", "Unsupported RCPT parameter: " + util::printable(word, 60));
        }
    }
    return std::nullopt;
}

// "FROM:<path> params" / "TO:<path> params".
CommandParse parse_path_command(Verb verb, std::string_view arg) {
    const bool mail = verb == Verb::mail;
    std::string_view keyword = mail ? "FROM:" : "TO:";
    if (!util::istarts_with(arg, keyword)) {
        return error(501, "5.5.4",
                     mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>");
    }
    arg.remove_prefix(keyword.size());
    while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);  // common, if not RFC
    mail::PathParse p = mail::parse_path(arg, {.allow_null = mail, .allow_utf8 = true});
    if (!p.address) {
        const char* enh = mail ? "5.1.7" : "5.1.3";
        return error(501, enh,
                     std::string("Bad address syntax: ") + std::string(mail::describe(p.error)));
    }
    Command c;
    c.verb = verb;
    c.address = std::move(*p.address);
    c.address_has_utf8 = has_non_ascii(c.address.local) || has_non_ascii(c.address.domain);
    std::string_view rest = arg.substr(p.consumed);
    if (!rest.empty() && rest.front() != ' ') {
        return error(501, "5.5.4", "Syntax error after the address");
    }
    if (mail) {
        if (auto bad = parse_mail_params(rest, c.mail)) return CommandParse{std::nullopt, *bad};
    } else if (auto bad = parse_rcpt_params(rest, c.rcpt)) {
        return CommandParse{std::nullopt, *bad};
    }
    return CommandParse{std::move(c), {}};
}

}  // namespace

std::string_view verb_name(Verb v) {
    for (const auto& e : kVerbs) {
        if (e.verb == v) return e.name;
    }
    return "?";
}

CommandParse parse_command(std::string_view line) {
    for (unsigned char c : line) {
        if (c < 0x20 && c != '\t')
            return error(500, "5.5.2", "Syntax error: control character in command");
        if (c == 0x7f) return error(500, "5.5.2", "Syntax error: control character in command");
    }
    std::size_t space = line.find(' ');
    std::string_view word = line.substr(0, space);
    std::string_view arg =
        space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    for (const VerbEntry& e : kVerbs) {
        if (!util::iequals(word, e.name)) continue;
        if (!e.takes_argument && !util::trim(arg).empty()) {
            return error(501, "5.5.4",
                         std::string("Syntax: ") + std::string(e.name) + " takes no argument");
        }
        if (e.verb == Verb::mail || e.verb == Verb::rcpt) return parse_path_command(e.verb, arg);
        Command c;
        c.verb = e.verb;
        c.argument = std::string(util::trim(arg));
        if ((c.verb == Verb::helo || c.verb == Verb::ehlo) && c.argument.empty()) {
            return error(501, "5.5.4", std::string("Syntax: ") + std::string(e.name) + " hostname");
        }
        if (c.verb == Verb::etrn && c.argument.empty()) {
            return error(501, "5.5.4", "Syntax: ETRN domain");
        }
        if (c.verb == Verb::auth && c.argument.empty()) {
            return error(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
        }
        return CommandParse{std::move(c), {}};
    }
    if (word.empty()) return error(500, "5.5.2", "Syntax error: empty command");
    return error(500, "5.5.1", "Command unrecognized: " + util::printable(word, 20));
}

}  // namespace holdfast::smtp
