#pragma once
// Holdfast watches itself: before it listens, every vector of the relay
// tester's battery is put through the live recipient policy as an outside,
// unauthenticated client. If any would be relayed (or accepted for a
// domain that is not ours), serve refuses to start (exit 2), naming the
// vector and the setting to look at. check-config catches the known open
// configurations; this catches what it does not know (a policy bug, a new
// setting, an unforeseen combination).
#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "policy/recipient_policy.hpp"

namespace holdfast::app {

struct SelfCheckFailure {
    std::string vector;    // "nmap-05"
    std::string rcpt_to;   // as written
    std::string client;    // the outside address used
    std::string decision;  // "relay" / "local" / "backup"
    std::string reply;     // what the policy answered
    std::string setting;   // where to look
    std::string str() const;
};

using Decide =
    std::function<policy::RecipientDecision(const mail::Address&, const policy::Client&)>;

// nullopt: every vector is refused (or accepted only for our own domains).
// `customer_domains`: the store's, served like [[backup]] domains.
std::optional<SelfCheckFailure> self_relay_check(
    const config::Config& config, const Decide& decide,
    const std::vector<std::string>& customer_domains = {});

}  // namespace holdfast::app
