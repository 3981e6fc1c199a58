#include "app/self_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "relaytest/vector.hpp"
#include "smtp/protocol/command.hpp"

namespace holdfast::app {

std::string SelfCheckFailure::str() const {
    return fmt::format(
        "self relay check: vector {} (RCPT TO:{}) from the outside client {} would be {} "
        "(\"{}\"): this configuration is an open relay; check {}",
        vector, rcpt_to, client, decision, reply, setting);
}

std::optional<SelfCheckFailure> self_relay_check(const config::Config& config, const Decide& decide,
                                                 const std::vector<std::string>& customer_domains) {
    // An outside client: documentation addresses, the first that relay.networks does not cover.
    std::optional<util::IpAddress> outside;
    for (const char* candidate :
         {"192.0.2.254", "198.51.100.254", "203.0.113.254", "2001:db8::fe"}) {
        auto ip = *util::parse_ip(candidate);
        bool trusted = std::any_of(config.relay.networks.begin(), config.relay.networks.end(),
                                   [&](const util::IpNetwork& n) { return n.contains(ip); });
        if (!trusted) {
            outside = ip;
            break;
        }
    }
    if (!outside) {
        return SelfCheckFailure{
            "-", "-", "any", "relayed", "relay.networks covers every address", "[relay] networks"};
    }
    util::IpAddress ours = *util::parse_ip("127.0.0.1");
    if (!config.listen.empty()) {
        if (auto ip = util::parse_ip(config.listen.front().host)) ours = *ip;
    }
    std::vector<std::string> our_domains = customer_domains;
    for (const auto& l : config.locals) our_domains.push_back(l.domain);
    for (const auto& b : config.backups) our_domains.push_back(b.domain);

    relaytest::Placeholders p;
    p.ext = "outside.holdfast-self-check.invalid";
    p.to = "relaytest";
    p.from = "antispam";
    p.from_domain = p.ext;
    std::string domain =
        config.locals.empty() ? config.server.hostname : config.locals.front().domain;
    relaytest::describe_target(p, config.server.hostname, ours.str(), config.server.hostname);
    if (!domain.empty()) p.domain = domain;
    std::vector<std::string> errors;
    auto file = relaytest::parse_vectors(relaytest::builtin_vectors_text());
    auto vectors = relaytest::expand_all(file.specs, p, &errors);
    // Routing through a backup domain is the classic backup-MX hole: try
    // every vector once more with each backup domain as the written domain.
    std::vector<relaytest::Vector> all = vectors;
    for (const auto& d : our_domains) {
        relaytest::Placeholders q = p;
        q.host = q.banner = q.domain = d;
        for (auto& v : relaytest::expand_all(file.specs, q)) all.push_back(std::move(v));
    }
    policy::Client client{*outside, ours, false};
    for (const auto& v : all) {
        auto parsed = smtp::parse_command("RCPT TO:" + v.rcpt_to);
        if (!parsed.command) continue;  // refused for its syntax already
        policy::RecipientDecision d = decide(parsed.command->address, client);
        if (d.destination == policy::Destination::refused) continue;
        const std::string& dom = d.address.domain;
        bool ours_by_domain =
            std::find(our_domains.begin(), our_domains.end(), dom) != our_domains.end();
        if (d.destination != policy::Destination::relay && ours_by_domain &&
            !d.address.has_routing()) {
            continue;  // mail for one of our own domains: not relaying
        }
        SelfCheckFailure f;
        f.vector = v.id;
        f.rcpt_to = v.rcpt_to;
        f.client = outside->str();
        f.reply = d.reply.summary();
        switch (d.destination) {
            case policy::Destination::relay:
                f.decision = "relayed";
                f.setting = "[relay] networks (and the relay policy)";
                break;
            case policy::Destination::backup:
                f.decision = "accepted for the backup domain " + dom;
                f.setting = "[[backup]] domain = \"" + dom + "\"";
                break;
            default:
                f.decision = "accepted for the local domain " + dom;
                f.setting = "[[local]] domain = \"" + dom + "\"";
                break;
        }
        return f;
    }
    return std::nullopt;
}

}  // namespace holdfast::app
