#include "dnsbl/target.hpp"

#include "dns/idna.hpp"
#include "util/strings.hpp"

namespace holdfast::dnsbl {

std::string Target::str() const {
    return kind == Kind::domain ? domain : ip.str();
}

std::optional<Target> parse_target(std::string_view text) {
    text = util::trim(text);
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
        if (util::istarts_with(text, "IPv6:")) text.remove_prefix(5);
        auto ip = util::parse_ip(text);
        if (!ip) return std::nullopt;
        return Target{ip->is_v4() ? Target::Kind::ipv4 : Target::Kind::ipv6, *ip, {}};
    }
    if (auto ip = util::parse_ip(text)) {
        return Target{ip->is_v4() ? Target::Kind::ipv4 : Target::Kind::ipv6, *ip, {}};
    }
    // Something that looks like a dotted quad but did not parse is a typo,
    // not a domain called "300.1.2.3".
    if (text.find_first_not_of("0123456789.") == std::string_view::npos) return std::nullopt;
    auto domain = dns::to_ascii_domain(text);
    if (!domain || domain->find('.') == std::string::npos) return std::nullopt;
    return Target{Target::Kind::domain, {}, *domain};
}

std::string reversed(const Target& t) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    switch (t.kind) {
        case Target::Kind::ipv4:
            for (int i = 15; i >= 12; --i) {
                out += std::to_string(t.ip.bytes[i]);
                if (i > 12) out += '.';
            }
            break;
        case Target::Kind::ipv6:
            for (int i = 15; i >= 0; --i) {
                out += kHex[t.ip.bytes[i] & 0x0f];
                out += '.';
                out += kHex[t.ip.bytes[i] >> 4];
                if (i > 0) out += '.';
            }
            break;
        case Target::Kind::domain:
            out = t.domain;
            break;
    }
    return out;
}

std::string query_name(const Target& t, std::string_view zone) {
    std::string name = reversed(t);
    name += '.';
    name += util::ascii_lower(zone);
    if (name.back() == '.') name.pop_back();
    return name;
}

Target test_entry(Target::Kind kind, bool listed) {
    Target t;
    t.kind = kind;
    if (kind == Target::Kind::domain) {
        t.domain = listed ? "test" : "invalid";
        return t;
    }
    // 127.0.0.x for IPv4; for IPv6 the same bytes as ::FFFF:7F00:x, but kept
    // of kind ipv6 so the name is built from nibbles.
    t.ip.bytes = {0, 0, 0,    0,    0,   0, 0, 0,
                  0, 0, 0xff, 0xff, 127, 0, 0, static_cast<std::uint8_t>(listed ? 2 : 1)};
    return t;
}

}  // namespace holdfast::dnsbl
