#include "relaytest/options.hpp"

#include <unistd.h>

#include "mail/address.hpp"
#include "util/net.hpp"

namespace holdfast::relaytest {

std::string Target::str() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<Target> parse_target(std::string_view text) {
    auto hp = util::parse_host_port(text, 25);
    if (!hp) return std::nullopt;
    bool is_ip = util::parse_ip(hp->host).has_value();
    if (!is_ip && !mail::is_valid_domain(hp->host)) return std::nullopt;
    return Target{hp->host, hp->port};
}

std::string resolve_defaults(Options& o, std::string_view random_label) {
    std::optional<mail::Address> to, from;
    if (!o.to.empty()) {
        to = mail::parse_mailbox(o.to, false);
        if (!to || to->domain.empty()) return "--to: not a valid address: " + o.to;
    }
    if (!o.from.empty()) {
        from = mail::parse_mailbox(o.from, false);
        if (!from || from->domain.empty()) return "--from: not a valid address: " + o.from;
    }
    if (!o.to_domain.empty()) {
        if (!mail::is_valid_domain(o.to_domain)) return "--to-domain: not a domain: " + o.to_domain;
        o.to_domain = mail::normalize_domain(o.to_domain);
    } else if (to) {
        o.to_domain = to->domain;
    } else {
        // RFC 2606: .invalid never exists, so it is surely not the target's,
        // and nothing a relay accepts for it can reach anyone. The random
        // label keeps each run's probes apart in the target's logs.
        o.to_domain = std::string(random_label) + ".relay-test.invalid";
    }
    if (!to) o.to = "relaytest@" + o.to_domain;
    if (!from) o.from = "antispam@" + o.to_domain;
    if (o.helo.empty()) {
        char name[256] = {};
        if (gethostname(name, sizeof name - 1) == 0 &&
            std::string_view(name).find('.') != std::string_view::npos &&
            mail::is_valid_domain(name)) {
            o.helo = name;
        } else {
            o.helo = "relay-tester.invalid";
        }
    }
    if (!o.source.empty() && !util::parse_ip(o.source))
        return "--source: not an IP address: " + o.source;
    return "";
}

}  // namespace holdfast::relaytest
