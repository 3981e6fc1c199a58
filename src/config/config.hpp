#pragma once
// The typed configuration. Every field has the default an operator would
// expect; docs/configuration.md lists them and config_test.cpp checks that
// the shipped config/holdfast.toml loads.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/net.hpp"

namespace holdfast::config {

using Seconds = std::chrono::seconds;

enum class Role { mx, submission, submissions };
const char* role_name(Role r);

struct Listen {
    std::string address;  // as written, "127.0.0.1:2525"
    std::string host;     // "127.0.0.1"
    std::uint16_t port = 0;
    Role role = Role::mx;
};

struct Server {
    std::string hostname;  // default: the machine's host name
    std::string spool = "var/spool";
    std::vector<util::IpAddress> addresses;  // extra addresses that are ours (behind NAT)
};

struct Tls {
    std::string cert, key;
    bool enabled() const { return !cert.empty() && !key.empty(); }
};

struct Auth {
    std::string users;          // file of user:crypt-hash lines; empty = AUTH off
    unsigned max_failures = 3;  // per session, then 421 and disconnect
    Seconds failure_delay{1};   // grows with each failure from the same client IP
};

struct Relay {
    std::vector<util::IpNetwork> networks;  // default: loopback only
};

struct QueuePolicy {
    Seconds lifetime{7 * 86400};
    Seconds retry_min{5 * 60};
    Seconds retry_max{3600};
    Seconds delay_warning{4 * 3600};
    Seconds probe_interval{90};
    // Deliveries in flight at once to one destination domain: the backlog
    // of a returning primary flows this wide (Postfix's
    // default_destination_concurrency_limit is 20; small servers prefer less).
    std::size_t concurrency = 10;
};

struct LocalDomain {
    std::string domain;
    std::string maildir = "var/mail/%d/%u";  // %u local part, %d domain
    std::string lmtp;                        // "host:port": deliver over LMTP instead
    std::vector<std::string> recipients;  // lower-case local parts; empty = nobody but postmaster
};

enum class UnknownWhileDown { defer, accept };

struct BackupDomain {
    std::string domain;
    std::string primary;                  // "host:port"; empty = the domain's MX records
    std::vector<std::string> recipients;  // lower-case local parts; empty + !verify = accept all
    std::string recipients_file;          // one local part or address a line; re-read on change
    bool verify = false;                  // ask the primary (RCPT probe), cache the answers
    Seconds verify_good_for{31 * 86400};  // how long a "recipient exists" answer is trusted
    Seconds verify_bad_for{3 * 86400};    // how long a "no such recipient" answer is trusted
    UnknownWhileDown unknown_while_down = UnknownWhileDown::defer;
    QueuePolicy queue;  // inherits [queue], then per-domain overrides
};

struct Limits {
    std::size_t line_length = 1000;  // octets including CRLF (RFC 5321 4.5.3.1.6)
    std::size_t message_size = 35 * 1024 * 1024;
    unsigned recipients = 100;  // per message (RFC 5321 4.5.3.1.8 minimum)
    unsigned errors = 20;       // per session, then 421 (as Postfix's hard limit)
    unsigned connections_per_ip = 20;
    unsigned connections = 10000;  // all clients together
    Seconds idle_timeout{300};     // RFC 5321 4.5.3.2.7
    Seconds session_timeout{1800};
};

struct Dns {
    std::vector<std::string> servers;  // "host:port"; empty = /etc/resolv.conf
    Seconds timeout{5};
    unsigned tries = 2;
};

enum class DnsblAction { reject, log };

struct Dnsbl {
    std::vector<std::string> zones;
    DnsblAction action = DnsblAction::reject;
    std::map<std::string, double> weights;  // zone -> weight; missing = 1
    double threshold = 1;
    std::vector<util::IpNetwork> allow;  // never checked (relay.networks never are)
    Seconds deadline{2};                 // how long the banner may wait for answers
};

struct Web {
    std::string address;  // empty = no web UI
};

// The watch's store: customers, MX history, tests, violations.
struct Store {
    // "sqlite:PATH" or "postgresql://..."; default: holdfast.db beside the spool.
    std::string url;
};

// The ISP's watch inside `holdfast serve` (docs/configuration.md [watch]).
struct Watch {
    bool enabled = false;
    Seconds mx_interval{300};                // poll every customer domain's MX records
    Seconds retest_interval{7 * 86400};      // re-test every MX address for open relay
    Seconds rbl_interval{86400};             // blacklist-check every MX address
    std::vector<long> charges{0, 100, 200};  // per violation of one customer; the last repeats
    std::string abuse;                       // gets a copy of every notice
    std::vector<std::string> zones;          // default: [dnsbl] zones
    std::size_t concurrency = 4;             // relay tests at once (never two per host)
    Seconds test_timeout{30};                // per reply in a relay test
    Seconds test_pause{1};                   // between a relay test's sessions
    std::uint16_t test_port = 25;            // where customers' MX hosts are tested
    Seconds retry_inconclusive{3600};        // an inconclusive test is tried again after this
    std::string mx_name;      // our backup MX as customers list it; default server.hostname
    std::string notice_from;  // sender of notices; default postmaster@server.hostname
};

struct Config {
    std::string path;  // the file it came from
    Server server;
    std::vector<Listen> listen;
    Tls tls;
    Auth auth;
    Relay relay;
    QueuePolicy queue;
    std::vector<LocalDomain> locals;
    std::vector<BackupDomain> backups;
    Limits limits;
    Dns dns;
    Dnsbl dnsbl;
    Web web;
    Store store;
    Watch watch;
    std::string log_level = "info";
};

struct Diagnostic {
    std::string file;
    unsigned line = 0;  // 0 when the problem has no place in the file
    std::string message;
    std::string str() const;  // "FILE:LINE: message"
};

struct LoadResult {
    std::optional<Config> config;  // set only when diagnostics is empty
    std::vector<Diagnostic> diagnostics;
};

// Reads, parses and validates. Never throws for bad input.
LoadResult load_file(const std::string& path);
LoadResult load_string(const std::string& text, const std::string& name);

}  // namespace holdfast::config
