#include "config/validate.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <set>

#include "mail/address.hpp"

namespace holdfast::config {
namespace {

unsigned line_at(const toml::table& root, std::string_view path) {
    toml::node_view<const toml::node> n = root.at_path(path);
    return n ? n.node()->source().begin.line : 0;
}

void check_readable(const toml::table& root, Diagnostics& d, std::string_view path,
                    const std::string& file, std::string_view what) {
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0) {
        d.add(line_at(root, path), fmt::format("{} \"{}\" cannot be read", what, file));
    }
}

void check_relay_networks(const toml::table& root, const Config& c, Diagnostics& d) {
    for (std::size_t i = 0; i < c.relay.networks.size(); ++i) {
        const util::IpNetwork& n = c.relay.networks[i];
        bool v4 = n.base.is_v4();
        unsigned widest = v4 ? kWidestRelayPrefixV4 : kWidestRelayPrefixV6;
        // ::/80 and the like contain every IPv4-mapped address: all of IPv4.
        static const util::IpAddress kAnyV4 = *util::parse_ip("0.0.0.0");
        bool covers_all_v4 = !v4 && n.prefix <= 96 && n.contains(kAnyV4);
        if (n.written_prefix() < widest || covers_all_v4) {
            std::string why = covers_all_v4
                                  ? "it contains every IPv4-mapped address"
                                  : fmt::format("the widest network allowed is a /{}", widest);
            d.add(line_at(root, fmt::format("relay.networks[{}]", i)),
                  fmt::format(
                      "relay.networks: {} would make this server an open relay ({}); list your "
                      "own networks instead",
                      n.str(), why));
        }
    }
}

// Only %u, %d and %% mean something in a maildir template; anything else
// would be kept literally and deliver somewhere nobody meant.
std::string maildir_template_problem(std::string_view tmpl) {
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%') continue;
        if (i + 1 == tmpl.size()) return "a lone % at the end (write %% for a percent sign)";
        char c = tmpl[++i];
        if (c != 'u' && c != 'd' && c != '%') {
            return fmt::format("unknown escape %{} (known: %u local part, %d domain, %% percent)",
                               c);
        }
    }
    return {};
}

// A [[local]] recipient becomes a maildir path component: one that is not a
// valid local part, or could leave its directory, would be accepted at
// RCPT and then never delivered (a bounce: backscatter).
std::string local_recipient_problem(const std::string& local) {
    if (local == "." || local == ".." || local.find('/') != std::string::npos ||
        local.find('\0') != std::string::npos) {
        return "can never be a maildir name ('/', \".\" and \"..\" are refused)";
    }
    if (local.empty() || !mail::parse_mailbox(local + "@example.test", true)) {
        return "is not a valid local part (RFC 5321 4.1.2)";
    }
    return {};
}

// [[local]] lmtp: "unix:/absolute/path" or "host:port", and never together
// with maildir (one delivery method per domain). Without either, the
// documented default maildir applies (older configs rely on it).
void check_lmtp(const toml::table& root, const LocalDomain& l, const std::string& at,
                Diagnostics& d) {
    if (l.lmtp.empty()) return;
    unsigned line = line_at(root, at + ".lmtp");
    if (l.lmtp.starts_with("unix:")) {
        if (l.lmtp.size() < 7 || l.lmtp[5] != '/') {
            d.add(line, "[[local]] lmtp \"unix:PATH\" needs an absolute path");
        }
    } else if (!util::parse_host_port(l.lmtp)) {
        d.add(line, "[[local]] lmtp must be \"unix:/path\" or host:port");
    }
    if (root.at_path(at + ".maildir")) {
        d.add(line, fmt::format("[[local]] {}: set maildir or lmtp, not both (maildir at line {})",
                                l.domain, line_at(root, at + ".maildir")));
    }
}

void check_domains(const toml::table& root, const Config& c, Diagnostics& d) {
    std::set<std::string> seen;
    auto check = [&](const std::string& domain, std::string_view path, std::string_view section) {
        unsigned line = line_at(root, path);
        if (domain.empty()) {
            d.add(line, fmt::format("{}: domain is required", section));
        } else if (!mail::is_valid_domain(domain, true)) {
            d.add(line, fmt::format("{}: \"{}\" is not a valid domain name", section, domain));
        } else if (!seen.insert(mail::normalize_domain(domain)).second) {
            d.add(line, fmt::format("{}: domain \"{}\" is configured twice", section, domain));
        }
    };
    for (std::size_t i = 0; i < c.locals.size(); ++i) {
        const LocalDomain& l = c.locals[i];
        std::string at = fmt::format("local[{}]", i);
        check(l.domain, at + ".domain", fmt::format("[[local]] #{}", i + 1));
        check_lmtp(root, l, at, d);
        if (std::string why = maildir_template_problem(l.maildir); !why.empty()) {
            d.add(line_at(root, at + ".maildir"),
                  fmt::format("[[local]] maildir \"{}\": {}", l.maildir, why));
        }
        for (std::size_t j = 0; j < l.recipients.size(); ++j) {
            if (std::string why = local_recipient_problem(l.recipients[j]); !why.empty()) {
                d.add(line_at(root, fmt::format("{}.recipients[{}]", at, j)),
                      fmt::format("[[local]] recipients: \"{}\" {}", l.recipients[j], why));
            }
        }
    }
    for (std::size_t i = 0; i < c.backups.size(); ++i) {
        const BackupDomain& b = c.backups[i];
        std::string at = fmt::format("backup[{}]", i);
        check(b.domain, at + ".domain", fmt::format("[[backup]] #{}", i + 1));
        if (!b.primary.empty() && !util::parse_host_port(b.primary, 25)) {
            d.add(line_at(root, at + ".primary"), "[[backup]] primary must be host or host:port");
        }
        if (!b.recipients_file.empty() && !b.recipients.empty()) {
            d.add(line_at(root, at + ".recipients_file"),
                  "[[backup]] recipients and recipients_file: give one or the other");
        }
        check_readable(root, d, at + ".recipients_file", b.recipients_file,
                       "[[backup]] recipients_file");
        if (b.queue.retry_min > b.queue.retry_max) {
            d.add(line_at(root, at + ".retry_min"),
                  "[[backup]] retry_min is longer than retry_max");
        }
    }
}

void check_listeners(const toml::table& root, const Config& c, Diagnostics& d) {
    if (c.listen.empty()) {
        d.add(0,
              "no [[listen]] table: at least one listener is needed, e.g. address = "
              "\"127.0.0.1:2525\"");
    }
    for (std::size_t i = 0; i < c.listen.size(); ++i) {
        const Listen& l = c.listen[i];
        if (l.role != Role::mx && !c.tls.enabled()) {
            d.add(
                line_at(root, fmt::format("listen[{}].role", i)),
                fmt::format("[[listen]] {} has role {}, which needs [tls] cert and key (passwords "
                            "must never cross the network in clear text)",
                            l.address, role_name(l.role)));
        }
        if (l.role != Role::mx && c.auth.users.empty()) {
            d.add(line_at(root, fmt::format("listen[{}].role", i)),
                  fmt::format("[[listen]] {} has role {}, which needs [auth] users", l.address,
                              role_name(l.role)));
        }
    }
}

}  // namespace

void validate(const toml::table& root, const Config& c, Diagnostics& d) {
    check_relay_networks(root, c, d);
    check_listeners(root, c, d);
    check_domains(root, c, d);
    check_mail_auth(root, c, d);
    if (!mail::is_valid_domain(c.server.hostname)) {
        d.add(line_at(root, "server.hostname"),
              fmt::format("server.hostname \"{}\" is not a fully qualified host name",
                          c.server.hostname));
    }
    if (c.tls.cert.empty() != c.tls.key.empty()) {
        d.add(line_at(root, "tls"), "[tls] needs both cert and key");
    }
    check_readable(root, d, "tls.cert", c.tls.cert, "[tls] cert");
    check_readable(root, d, "tls.key", c.tls.key, "[tls] key");
    check_readable(root, d, "auth.users", c.auth.users, "[auth] users file");
    if (c.queue.retry_min > c.queue.retry_max) {
        d.add(line_at(root, "queue.retry_min"), "[queue] retry_min is longer than retry_max");
    }
    for (std::size_t i = 0; i < c.dns.servers.size(); ++i) {
        if (!util::parse_host_port(c.dns.servers[i], 53)) {
            d.add(line_at(root, fmt::format("dns.servers[{}]", i)),
                  fmt::format("[dns] servers: \"{}\" must be host or host:port", c.dns.servers[i]));
        }
    }
    if (!c.web.address.empty() && !util::parse_host_port(c.web.address)) {
        d.add(line_at(root, "web.address"), "[web] address must be host:port");
    }
    if (c.web.tls && !c.tls.enabled()) {
        d.add(line_at(root, "web.tls"), "[web] tls = true needs [tls] cert and key");
    }
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (!kLevels.contains(c.log_level)) {
        d.add(line_at(root, "log.level"), "[log] level must be trace, debug, info, warn or error");
    }
}

}  // namespace holdfast::config
