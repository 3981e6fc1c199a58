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
    // Started as root, serve runs as this account once the listeners are
    // bound (app/privileges.hpp); group: default the user's own.
    std::string user, group;
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
    // Who owns the Maildir files (the courier acts as this user and group
    // while it writes them); empty = the daemon's own user / the user's group.
    std::string maildir_user, maildir_group;
    std::int64_t maildir_uid = -1, maildir_gid = -1;  // resolved from the names; -1 = own
    unsigned maildir_mode = 0600;                     // 0600 or 0660
    bool scan = false;  // [scan]: virus and spam scanning at DATA (docs/scanning.md)
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
    bool scan = false;  // [scan]: virus and spam scanning at DATA (docs/scanning.md)
};

struct Limits {
    std::size_t line_length = 1000;  // octets including CRLF (RFC 5321 4.5.3.1.6)
    std::size_t message_size = 35 * 1024 * 1024;
    // MAIL is answered 452 4.3.1 when the spool's file system has less free
    // than this plus 1.5 times the SIZE the client announced (as Postfix's
    // queue_minfree): the room left keeps the queue's own bookkeeping
    // (deliveries, bounces) writable when the disk fills.
    std::size_t spool_reserve = 8 * 1024 * 1024;
    unsigned recipients = 100;  // per message (RFC 5321 4.5.3.1.8 minimum)
    // Received: headers a message may carry (RFC 5321 6.3: a loop); more is
    // refused at DATA with 554 5.4.6, and bounced if already queued.
    unsigned hops = 50;
    // Message data a session keeps in memory; a larger message is streamed
    // to a body file in the spool as it arrives.
    std::size_t data_in_memory = 64 * 1024;
    unsigned errors = 20;  // per session, then 421 (as Postfix's hard limit)
    unsigned connections_per_ip = 20;
    // Clients that connections_per_ip does not count (as Postfix's
    // smtpd_client_event_limit_exceptions = $mynetworks): a LAN's own mail
    // server or web app may keep many sessions open. Unset = relay.networks.
    std::vector<util::IpNetwork> exempt_networks;
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

// The web face (docs/web.md): public relay-test and blacklist pages, the
// JSON API, /metrics. Every bound here protects the daemon from its visitors.
struct Web {
    std::string address;  // empty = no web UI
    // What the public relay-test page may test, besides the customers'
    // networks from the store. Default: loopback only.
    std::vector<util::IpNetwork> test_networks;
    std::string admins;                    // file of user:crypt-hash lines (admin pages)
    bool tls = false;                      // HTTPS with the [tls] certificate
    std::size_t max_connections = 256;     // at once; more are closed unanswered
    std::size_t max_tests = 4;             // relay tests running at once
    std::size_t tests_per_client = 10;     // relay tests a client address may start per hour
    std::size_t tests_per_target = 6;      // relay tests of one target per hour
    std::size_t lookups_per_client = 120;  // blacklist lookups per client address per hour
    Seconds request_timeout{10};           // to send a whole request (slowloris)
};

// How long the outbound client waits at each stage of a delivery. The
// defaults are RFC 5321 4.5.3.2's minimums; a peer that stalls past one is
// a temporary failure and the message is retried later.
struct Delivery {
    Seconds connect_timeout{30};      // not in the RFC: a dead host costs this much
    Seconds greeting_timeout{300};    // 4.5.3.2.1 the 220
    Seconds command_timeout{300};     // EHLO, STARTTLS, MAIL (4.5.3.2.2), RCPT (.3), RSET, QUIT
    Seconds data_init_timeout{120};   // 4.5.3.2.4 the 354
    Seconds data_block_timeout{180};  // 4.5.3.2.5 each write of the body
    Seconds data_done_timeout{600};   // 4.5.3.2.6 the reply to "."
    Seconds tls_timeout{60};          // the STARTTLS handshake
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
    // The backup queue per domain is sampled into the store this often (the
    // admin pages' pictures); 0 = never. Whether or not the watch is enabled.
    Seconds sample_interval{300};
};

// [[dkim]]: a key that signs mail relayed for relay.networks clients and
// authenticated users whose From: is in `domain` (docs/authentication.md).
struct DkimKey {
    std::string domain;    // lower case
    std::string selector;  // the key record is SELECTOR._domainkey.DOMAIN
    std::string key;       // PEM private key file, RSA or Ed25519
    std::string type;      // "rsa" | "ed25519"; empty = whatever the file holds
};

// [checks]: SPF, DKIM and DMARC checks of mail arriving at the mx role from
// clients that are neither in relay.networks nor authenticated
// (docs/authentication.md). off: no checks, no Authentication-Results.
enum class SpfAction { off, tag, reject_fail };  // "off" | "tag" | "reject-fail"
enum class DmarcAction { off, tag, enforce };    // "off" | "tag" | "enforce"
struct Checks {
    SpfAction spf = SpfAction::off;
    DmarcAction dmarc = DmarcAction::off;
};

// Content scanning at DATA (docs/scanning.md): clamd and rspamd, for the
// domains that have scan = true (or a store customer's scan flag).
enum class ScanOnError { tempfail, accept };
struct Scan {
    std::string clamd;   // "unix:/path" or "host:port"; empty = no virus scanning
    std::string rspamd;  // "host:port"; empty = no spam scanning
    std::size_t max_size = 25 * 1024 * 1024;  // larger messages pass unscanned (logged)
    Seconds clamd_timeout{30};                // the whole exchange with one scanner
    Seconds rspamd_timeout{30};
    std::size_t connections = 16;  // per scanner, at once; more sessions wait their turn
    ScanOnError on_error = ScanOnError::tempfail;  // a scanner down, slow or talking nonsense
    bool enabled() const { return !clamd.empty() || !rspamd.empty(); }
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
    std::vector<DkimKey> dkim;
    Checks checks;
    Limits limits;
    Delivery delivery;
    Dns dns;
    Dnsbl dnsbl;
    Web web;
    Store store;
    Watch watch;
    Scan scan;
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
