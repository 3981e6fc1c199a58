#include "util/net.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace holdfast::util {
namespace {
constexpr std::array<std::uint8_t, 12> kV4Prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool parse_uint(std::string_view s, unsigned max, unsigned& out) {
    if (s.empty() || s.size() > 5) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size() && out <= max;
}

void clear_host_bits(IpAddress& a, unsigned prefix) {
    for (unsigned i = 0; i < 16; ++i) {
        unsigned bits_here = prefix > i * 8 ? std::min(8u, prefix - i * 8) : 0;
        a.bytes[i] &= static_cast<std::uint8_t>(bits_here == 0 ? 0 : 0xff << (8 - bits_here));
    }
}
}  // namespace

bool is_unspecified(const IpAddress& a) {
    static const IpAddress kAnyV4 = *parse_ip("0.0.0.0");
    return a == IpAddress{} || a == kAnyV4;
}

std::vector<IpAddress> interface_addresses() {
    std::vector<IpAddress> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        IpAddress a;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            std::copy(kV4Prefix.begin(), kV4Prefix.end(), a.bytes.begin());
            std::memcpy(a.bytes.data() + 12, &sin->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
        } else {
            continue;
        }
        if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    freeifaddrs(list);
    return out;
}

bool IpAddress::is_v4() const {
    return std::equal(kV4Prefix.begin(), kV4Prefix.end(), bytes.begin());
}

std::string IpAddress::str() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) {
        inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

std::string IpAddress::literal() const {
    return is_v4() ? "[" + str() + "]" : "[IPv6:" + str() + "]";
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);
    IpAddress a;
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        std::copy(kV4Prefix.begin(), kV4Prefix.end(), a.bytes.begin());
        std::memcpy(a.bytes.data() + 12, &v4, 4);
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
    return std::nullopt;
}

bool IpNetwork::contains(const IpAddress& a) const {
    IpAddress masked = a;
    clear_host_bits(masked, prefix);
    return masked == base;
}

std::string IpNetwork::str() const {
    return base.str() + "/" + std::to_string(written_prefix());
}

std::optional<IpNetwork> parse_network(std::string_view text) {
    auto slash = text.find('/');
    auto ip = parse_ip(text.substr(0, slash));
    if (!ip) return std::nullopt;
    // The prefix counts in the notation it was written in: "::ffff:0.0.0.0/96"
    // is an IPv6 prefix even though it covers IPv4 addresses.
    bool v4_notation = text.substr(0, slash).find(':') == std::string_view::npos;
    unsigned max = v4_notation ? 32 : 128;
    unsigned len = max;
    if (slash != std::string_view::npos && !parse_uint(text.substr(slash + 1), max, len)) {
        return std::nullopt;
    }
    IpNetwork net{*ip, v4_notation ? len + 96 : len};
    IpAddress cleared = *ip;
    clear_host_bits(cleared, net.prefix);
    if (cleared != *ip) return std::nullopt;
    return net;
}

std::optional<HostPort> parse_host_port(std::string_view text,
                                        std::optional<std::uint16_t> default_port) {
    HostPort hp;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        hp.host = std::string(text.substr(1, close - 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port_text = rest.substr(1);
        }
    } else {
        auto colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') != colon) {
            // Several colons without brackets: a bare IPv6 address, no port.
            hp.host = std::string(text);
        } else if (colon != std::string_view::npos) {
            hp.host = std::string(text.substr(0, colon));
            port_text = text.substr(colon + 1);
        } else {
            hp.host = std::string(text);
        }
    }
    if (hp.host.empty()) return std::nullopt;
    if (port_text.empty()) {
        if (!default_port) return std::nullopt;
        hp.port = *default_port;
        return hp;
    }
    unsigned port = 0;
    if (!parse_uint(port_text, 65535, port) || port == 0) return std::nullopt;
    hp.port = static_cast<std::uint16_t>(port);
    return hp;
}

}  // namespace holdfast::util
