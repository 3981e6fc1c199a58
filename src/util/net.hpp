#pragma once
// IP addresses and networks without Asio: policy and config use these, and
// must not drag socket headers into every file.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::util {

// An IPv4 or IPv6 address. IPv4 is kept as an IPv4-mapped IPv6 address so
// that one comparison serves both (::ffff:127.0.0.1 is 127.0.0.1).
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool is_v4() const;
    std::string str() const;  // "192.0.2.1" or "2001:db8::1"
    // "[192.0.2.1]" / "[IPv6:2001:db8::1]": the SMTP address-literal form.
    std::string literal() const;
    bool operator==(const IpAddress&) const = default;
    auto operator<=>(const IpAddress&) const = default;
};

std::optional<IpAddress> parse_ip(std::string_view text);

// Whether a is 0.0.0.0 or :: (a wildcard listener: every local address).
bool is_unspecified(const IpAddress& a);

// The addresses of this host's network interfaces (getifaddrs), IPv4 and
// IPv6; empty if the system cannot tell.
std::vector<IpAddress> interface_addresses();

struct IpNetwork {
    IpAddress base;         // host bits cleared
    unsigned prefix = 128;  // in IPv6 terms: an IPv4 /8 is stored as /104
    bool contains(const IpAddress& a) const;
    // Prefix length as the operator wrote it (IPv4: 0-32).
    unsigned written_prefix() const { return base.is_v4() && prefix >= 96 ? prefix - 96 : prefix; }
    std::string str() const;
};

// "192.0.2.0/24", "2001:db8::/32", or a single address ("192.0.2.1" = /32).
// nullopt for anything else, including host bits set beyond the prefix
// ("10.1.2.3/8" is refused: the operator probably meant something else).
std::optional<IpNetwork> parse_network(std::string_view text);

// "host:port", "[v6]:port"; nullopt if malformed or the port is not 1-65535.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text,
                                        std::optional<std::uint16_t> default_port = {});

}  // namespace holdfast::util
