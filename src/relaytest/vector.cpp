#include "relaytest/vector.hpp"

#include <fmt/format.h>

#include <set>
#include <tuple>

#include "mail/address.hpp"
#include "util/net.hpp"
#include "util/strings.hpp"

namespace holdfast::relaytest {
namespace {

std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

const std::string* lookup(const Placeholders& p, std::string_view name) {
    if (name == "ext") return &p.ext;
    if (name == "to") return &p.to;
    if (name == "from") return &p.from;
    if (name == "from_domain") return &p.from_domain;
    if (name == "host") return &p.host;
    if (name == "banner") return &p.banner;
    if (name == "domain") return &p.domain;
    if (name == "ip") return &p.ip;
    if (name == "iplit") return &p.iplit;
    return nullptr;
}

// Checks a template's placeholders without values (at parse time).
std::string check_placeholders(std::string_view tmpl) {
    std::string out, error;
    Placeholders empty;
    if (!expand(tmpl, empty, out, &error)) return error;
    return "";
}

}  // namespace

VectorFile parse_vectors(std::string_view text) {
    VectorFile file;
    std::set<std::string> ids;
    int lineno = 0;
    for (std::string_view line : util::split(text, '\n')) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = util::trim(line);
        if (line.empty() || line.front() == '#') continue;
        auto fields = util::split(line, '|');
        auto err = [&](std::string what) {
            file.errors.push_back(fmt::format("line {}: {}", lineno, what));
        };
        if (fields.size() != 5) {
            err(fmt::format("expected 5 fields separated by '|', found {}", fields.size()));
            continue;
        }
        VectorSpec spec;
        spec.line = lineno;
        spec.id = std::string(util::trim(fields[0]));
        spec.mail_from = std::string(util::trim(fields[2]));
        spec.rcpt_to = std::string(util::trim(fields[3]));
        spec.probes = std::string(util::trim(fields[4]));
        if (spec.id.empty() || spec.rcpt_to.empty() || spec.mail_from.empty()) {
            err("empty id, MAIL FROM or RCPT TO");
            continue;
        }
        if (!ids.insert(spec.id).second) {
            err("duplicate id " + spec.id);
            continue;
        }
        bool ok = true;
        std::string_view flags = util::trim(fields[1]);
        if (flags != "-") {
            for (std::string_view flag : util::split(flags, ',')) {
                flag = util::trim(flag);
                if (flag == "tls") {
                    spec.tls_too = true;
                } else if (flag.starts_with("helo=") && flag.size() > 5) {
                    spec.helo = std::string(flag.substr(5));
                } else {
                    err(fmt::format("unknown flag '{}'", flag));
                    ok = false;
                }
            }
        }
        for (const std::string* t : {&spec.mail_from, &spec.rcpt_to, &spec.helo}) {
            if (std::string e = check_placeholders(*t); ok && !e.empty()) {
                err(e);
                ok = false;
            }
        }
        if (ok) file.specs.push_back(std::move(spec));
    }
    return file;
}

bool expand(std::string_view tmpl, const Placeholders& p, std::string& out, std::string* error) {
    out.clear();
    for (std::size_t i = 0; i < tmpl.size();) {
        if (tmpl[i] != '{') {
            out += tmpl[i++];
            continue;
        }
        std::size_t close = tmpl.find('}', i);
        if (close == std::string_view::npos) {
            if (error) *error = "unterminated placeholder";
            return false;
        }
        std::string_view name = tmpl.substr(i + 1, close - i - 1);
        std::string lower = util::ascii_lower(name);
        const std::string* value = lookup(p, lower);
        bool upper = name != lower;
        if (!value || (upper && name != ascii_upper(lower))) {
            if (error) *error = fmt::format("unknown placeholder {{{}}}", name);
            return false;
        }
        out += upper ? ascii_upper(*value) : *value;
        i = close + 1;
    }
    return true;
}

void describe_target(Placeholders& p, std::string_view host, std::string_view ip,
                     std::string_view greeting) {
    p.ip = std::string(ip);
    auto addr = util::parse_ip(ip);
    p.iplit = addr ? addr->literal() : "[" + std::string(ip) + "]";
    bool host_is_name = !util::parse_ip(host) && mail::is_valid_domain(host);
    std::string_view first = greeting.substr(0, greeting.find(' '));
    if (mail::is_valid_domain(first) && first.find('.') != std::string_view::npos) {
        p.banner = mail::normalize_domain(first);
    } else if (host_is_name) {
        p.banner = mail::normalize_domain(host);
    } else {
        p.banner = p.iplit;
    }
    p.host = host_is_name ? mail::normalize_domain(host) : p.banner;
    // mx.example.org -> example.org; a two-label name is its own domain.
    std::string_view b = p.banner;
    std::size_t dot = b.find('.');
    bool is_name = !b.empty() && b.front() != '[';
    if (is_name && dot != std::string_view::npos &&
        b.find('.', dot + 1) != std::string_view::npos) {
        p.domain = std::string(b.substr(dot + 1));
    } else {
        p.domain = p.banner;
    }
}

std::string written_domain(std::string_view arg) {
    arg = util::trim(arg);
    if (!arg.empty() && arg.front() == '<') arg.remove_prefix(1);
    if (!arg.empty() && arg.back() == '>') arg.remove_suffix(1);
    // The domain follows the last '@' that is outside quotes.
    bool quoted = false;
    std::size_t at = std::string_view::npos;
    for (std::size_t i = 0; i < arg.size(); ++i) {
        if (arg[i] == '\\' && quoted) {
            ++i;
        } else if (arg[i] == '"') {
            quoted = !quoted;
        } else if (arg[i] == '@' && !quoted) {
            at = i;
        }
    }
    if (at == std::string_view::npos) return "";
    return mail::normalize_domain(arg.substr(at + 1));
}

std::vector<Vector> expand_all(const std::vector<VectorSpec>& specs, const Placeholders& p,
                               std::vector<std::string>* errors) {
    std::vector<Vector> out;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    std::string ext = mail::normalize_domain(p.ext);
    for (const VectorSpec& s : specs) {
        Vector v;
        v.id = s.id;
        v.probes = s.probes;
        v.tls_too = s.tls_too;
        std::string error;
        if (!expand(s.mail_from, p, v.mail_from, &error) ||
            !expand(s.rcpt_to, p, v.rcpt_to, &error) || !expand(s.helo, p, v.helo, &error)) {
            if (errors) errors->push_back(s.id + ": " + error);
            continue;
        }
        if (!seen.emplace(v.helo, v.mail_from, v.rcpt_to).second) continue;
        std::string domain = written_domain(v.rcpt_to);
        // Outside: the outside domain itself, or an IP literal that is not the target's.
        bool outside = domain == ext || (!domain.empty() && domain.front() == '[' &&
                                         domain != util::ascii_lower(p.iplit));
        v.via_target = !outside;
        v.via_domain = !outside && domain == p.domain && p.domain != p.banner && p.domain != p.host;
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace holdfast::relaytest
