#include "spf/record.hpp"

#include <cctype>
#include <charconv>

namespace holdfast::spf {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::optional<unsigned> number(std::string_view s, unsigned max) {
    unsigned v = 0;
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

// A domain-spec: visible characters (macros are checked when expanded).
bool valid_domain_spec(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c <= 0x20 || c >= 0x7f) return false;
    }
    return true;
}

// "domain/24//64", "/24", "//64", "domain": splits off the dual-cidr-length.
bool split_cidr(std::string_view arg, Mechanism& m) {
    auto slash = arg.find('/');
    std::string_view cidr = slash == std::string_view::npos ? "" : arg.substr(slash);
    m.domain = std::string(arg.substr(0, slash));
    if (cidr.empty()) return true;
    // "/n", "//n", "/n//n"
    std::string_view v4, v6;
    if (cidr.starts_with("//")) {
        v6 = cidr.substr(2);
        if (v6.empty()) return false;
    } else {
        cidr.remove_prefix(1);
        auto dbl = cidr.find("//");
        v4 = cidr.substr(0, dbl);
        if (dbl != std::string_view::npos) {
            v6 = cidr.substr(dbl + 2);
            if (v6.empty()) return false;
        }
        if (v4.empty()) return false;
    }
    if (!v4.empty()) {
        auto n = number(v4, 32);
        if (!n) return false;
        m.cidr4 = *n;
    }
    if (!v6.empty()) {
        auto n = number(v6, 128);
        if (!n) return false;
        m.cidr6 = *n;
    }
    return true;
}

std::optional<Mechanism> parse_mechanism(std::string_view term) {
    Mechanism m;
    switch (term.empty() ? ' ' : term[0]) {
        case '+':
            term.remove_prefix(1);
            break;
        case '-':
            m.qualifier = Qualifier::fail;
            term.remove_prefix(1);
            break;
        case '~':
            m.qualifier = Qualifier::softfail;
            term.remove_prefix(1);
            break;
        case '?':
            m.qualifier = Qualifier::neutral;
            term.remove_prefix(1);
            break;
        default:
            break;
    }
    auto sep = term.find_first_of(":/");
    std::string_view name = term.substr(0, sep);
    std::string_view rest = sep == std::string_view::npos ? "" : term.substr(sep);
    // ":" introduces a domain-spec or address; "/" a cidr right after the name.
    std::string_view arg = rest.starts_with(":") ? rest.substr(1) : rest;
    const bool has_colon = rest.starts_with(":");
    using K = Mechanism::Kind;
    if (iequals(name, "all")) {
        if (!rest.empty()) return std::nullopt;
        m.kind = K::all;
    } else if (iequals(name, "include") || iequals(name, "exists")) {
        m.kind = iequals(name, "include") ? K::include : K::exists;
        if (!has_colon || !valid_domain_spec(arg)) return std::nullopt;
        m.domain = std::string(arg);
    } else if (iequals(name, "a") || iequals(name, "mx")) {
        m.kind = iequals(name, "a") ? K::a : K::mx;
        if (!split_cidr(arg, m)) return std::nullopt;
        if (has_colon && !valid_domain_spec(m.domain)) return std::nullopt;
        if (!has_colon && !m.domain.empty()) return std::nullopt;
    } else if (iequals(name, "ptr")) {
        m.kind = K::ptr;
        if (!rest.empty() && (!has_colon || !valid_domain_spec(arg))) return std::nullopt;
        m.domain = std::string(arg);
    } else if (iequals(name, "ip4") || iequals(name, "ip6")) {
        const bool v4 = iequals(name, "ip4");
        m.kind = v4 ? K::ip4 : K::ip6;
        if (!has_colon) return std::nullopt;
        auto slash = arg.find('/');
        auto ip = util::parse_ip(arg.substr(0, slash));
        if (!ip || ip->is_v4() != v4) return std::nullopt;
        // "::ffff:1.2.3.4" in ip6 is an IPv4 address in disguise: not ip6.
        if (!v4 && arg.substr(0, slash).find('.') != std::string_view::npos) return std::nullopt;
        m.address = *ip;
        unsigned prefix = v4 ? 32 : 128;
        if (slash != std::string_view::npos) {
            auto n = number(arg.substr(slash + 1), v4 ? 32 : 128);
            if (!n) return std::nullopt;
            prefix = *n;
        }
        (v4 ? m.cidr4 : m.cidr6) = prefix;
    } else {
        return std::nullopt;
    }
    return m;
}

}  // namespace

const char* result_name(Result r) {
    switch (r) {
        case Result::none:
            return "none";
        case Result::neutral:
            return "neutral";
        case Result::pass:
            return "pass";
        case Result::fail:
            return "fail";
        case Result::softfail:
            return "softfail";
        case Result::temperror:
            return "temperror";
        case Result::permerror:
            return "permerror";
    }
    return "?";
}

Result result_of(Qualifier q) {
    switch (q) {
        case Qualifier::pass:
            return Result::pass;
        case Qualifier::fail:
            return Result::fail;
        case Qualifier::softfail:
            return Result::softfail;
        case Qualifier::neutral:
            return Result::neutral;
    }
    return Result::neutral;
}

bool is_spf_record(std::string_view text) {
    if (text.size() < 6 || !iequals(text.substr(0, 6), "v=spf1")) return false;
    return text.size() == 6 || text[6] == ' ';
}

std::optional<Record> Record::parse(std::string_view text) {
    if (!is_spf_record(text)) return std::nullopt;
    Record r;
    std::size_t pos = 6;
    while (pos < text.size()) {
        if (text[pos] == ' ') {
            ++pos;
            continue;
        }
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view term = text.substr(pos, end - pos);
        pos = end;
        // A modifier is name=value, the name ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
        auto eq = term.find('=');
        auto colon = term.find_first_of(":/");
        if (eq != std::string_view::npos && (colon == std::string_view::npos || eq < colon)) {
            std::string_view name = term.substr(0, eq), value = term.substr(eq + 1);
            if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
                return std::nullopt;
            }
            for (char c : name) {
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
                    c != '.') {
                    return std::nullopt;
                }
            }
            if (iequals(name, "redirect")) {
                if (r.redirect || !valid_domain_spec(value)) return std::nullopt;
                r.redirect = std::string(value);
            }
            // exp= (our replies say why themselves) and unknown modifiers
            // are ignored (RFC 7208 6).
            continue;
        }
        auto m = parse_mechanism(term);
        if (!m) return std::nullopt;
        r.mechanisms.push_back(std::move(*m));
    }
    return r;
}

bool in_network(const util::IpAddress& a, const util::IpAddress& base, unsigned prefix) {
    if (a.is_v4() != base.is_v4()) return false;
    unsigned bits = base.is_v4() ? prefix + 96 : prefix;
    for (unsigned i = 0; i < 16; ++i) {
        unsigned take = bits >= 8 ? 8 : bits;
        bits -= take;
        std::uint8_t mask = take == 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - take));
        if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
}

}  // namespace holdfast::spf
