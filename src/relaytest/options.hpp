#pragma once
// What the caller asks for: the target and how to probe it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::relaytest {

struct Target {
    std::string host;  // a name, an IPv4 or an IPv6 address (no brackets)
    std::uint16_t port = 25;
    std::string str() const;  // "host:port", "[v6]:port"
};

// "host", "host:port", "[v6]:port", "v6" (bare IPv6, default port).
std::optional<Target> parse_target(std::string_view text);

// Reported while the battery runs (the CLI shows it on a terminal).
struct Progress {
    std::size_t done = 0;   // vectors with a result
    std::size_t total = 0;  // vectors planned so far
    std::size_t relayed = 0, refused = 0, other = 0;
    std::string current;  // id of the vector being run
};

struct Options {
    // Empty means the default, filled in by resolve_defaults().
    std::string from;  // our envelope sender; default antispam@<to_domain>
    std::string to;    // the outside recipient; default relaytest@<to_domain>
    std::string
        to_domain;       // default: the domain of `to`, else a random name under relay-test.invalid
    std::string helo;    // default: this machine's name if qualified, else relay-tester.invalid
    std::string source;  // local address to connect from ("" = the system's choice)

    std::chrono::milliseconds timeout{std::chrono::seconds(30)};      // connect, each reply
    std::chrono::milliseconds time_limit{std::chrono::minutes(10)};   // the whole test
    std::chrono::milliseconds pause{std::chrono::seconds(1)};         // between sessions
    std::chrono::milliseconds retry_pause{std::chrono::seconds(10)};  // before --retry-4xx
    bool deliver = false;         // send DATA with a unique token when RCPT is accepted
    bool transcript = false;      // keep the conversation in the report
    bool retry_4xx = false;       // retry deferred vectors once, after retry_pause
    std::size_t max_vectors = 0;  // 0 = all
    // A fresh session after this many error replies (4xx/5xx) in one: many
    // servers slow down after errors (Postfix sleeps 1 s before every reply
    // after the 10th, and hangs up at 20). 0 = never.
    std::size_t errors_per_session = 8;
    std::string vectors_text;  // "" = the built-in battery (vectors.txt)

    std::function<void(const Progress&)> on_progress;  // called from the prober's thread
};

// Fills in the defaults above; returns an error message for a bad --from,
// --to or --to-domain, "" when all is well. random_label is used for the
// default domain (tests pass a fixed one).
std::string resolve_defaults(Options& options, std::string_view random_label);

}  // namespace holdfast::relaytest
