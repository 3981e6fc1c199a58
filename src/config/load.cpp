// TOML -> Config: reads every section with TableReader (types, unknown keys),
// then validate() checks what depends on several keys (validate.cpp).
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/config.hpp"
#include "config/table_reader.hpp"
#include "config/validate.hpp"
#include "util/strings.hpp"

namespace holdfast::config {
namespace {

std::string machine_hostname() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost.localdomain";
    return buf;
}

void read_queue_keys(TableReader& r, QueuePolicy& q) {
    r.duration("lifetime", q.lifetime);
    r.duration("retry_min", q.retry_min);
    r.duration("retry_max", q.retry_max);
    r.duration("delay_warning", q.delay_warning);
    r.duration("probe_interval", q.probe_interval);
    r.count("concurrency", q.concurrency, 1, 1000);
}

// Lower-cases a list of local parts: they are matched case-insensitively.
// maildir_user / maildir_group / maildir_mode of a [[local]]: names (or
// numbers) resolved now, so that check-config reports an unknown one.
void read_maildir_owner(TableReader& r, LocalDomain& l) {
    r.string("maildir_user", l.maildir_user);
    r.string("maildir_group", l.maildir_group);
    std::string mode = "0600";
    r.string("maildir_mode", mode);
    if (mode == "0600" || mode == "600") {
        l.maildir_mode = 0600;
    } else if (mode == "0660" || mode == "660") {
        l.maildir_mode = 0660;
    } else {
        r.error("maildir_mode", "expected \"0600\" or \"0660\"");
    }
    auto number = [](const std::string& s) -> std::optional<std::int64_t> {
        if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        return std::stoll(s);
    };
    if (!l.maildir_user.empty()) {
        if (auto n = number(l.maildir_user)) {
            l.maildir_uid = *n;
        } else if (const passwd* pw = ::getpwnam(l.maildir_user.c_str())) {
            l.maildir_uid = pw->pw_uid;
            if (l.maildir_group.empty()) l.maildir_gid = pw->pw_gid;
        } else {
            r.error("maildir_user", fmt::format("no such user \"{}\"", l.maildir_user));
        }
    }
    if (!l.maildir_group.empty()) {
        if (auto n = number(l.maildir_group)) {
            l.maildir_gid = *n;
        } else if (const group* gr = ::getgrnam(l.maildir_group.c_str())) {
            l.maildir_gid = gr->gr_gid;
        } else {
            r.error("maildir_group", fmt::format("no such group \"{}\"", l.maildir_group));
        }
    }
}

std::vector<std::string> lowered(const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& s : in) out.push_back(util::fold_local_part(s));
    return out;
}

// [scan] (docs/scanning.md); the addresses' form is checked here.
void read_scan(TableReader& r, Scan& s) {
    r.string("clamd", s.clamd);
    r.string("rspamd", s.rspamd);
    r.count("max_size", s.max_size, 0, std::size_t{1} << 32);
    r.duration("clamd_timeout", s.clamd_timeout);
    r.duration("rspamd_timeout", s.rspamd_timeout);
    r.count("connections", s.connections, 1, 10000);
    std::string on_error = "tempfail";
    r.string("on_error", on_error);
    if (on_error == "accept") {
        s.on_error = ScanOnError::accept;
    } else if (on_error != "tempfail") {
        r.error("on_error", "expected \"tempfail\" or \"accept\"");
    }
    // An IP address, not a name: a scanner is asked for every message and
    // must not wait for DNS.
    auto ip_port = [](const std::string& v) {
        auto hp = util::parse_host_port(v);
        return hp && util::parse_ip(hp->host);
    };
    const bool unix_socket = s.clamd.starts_with("unix:") && s.clamd.size() > 5;
    if (!s.clamd.empty() && !unix_socket && !ip_port(s.clamd)) {
        r.error("clamd", "expected \"unix:/path\" or \"ip:port\"");
    }
    if (!s.rspamd.empty() && !ip_port(s.rspamd)) r.error("rspamd", "expected \"ip:port\"");
    for (const char* key : {"clamd_timeout", "rspamd_timeout"}) {
        if ((key[0] == 'c' ? s.clamd_timeout : s.rspamd_timeout).count() == 0) {
            r.error(key, "must be longer than 0s");
        }
    }
}

// Calls fn(reader, index) for each table of an array of tables [[name]].
template <typename Fn>
void each_table(const toml::table& root, std::string_view name, Diagnostics& diags, Fn fn) {
    const toml::node* n = root.get(name);
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr) {
        diags.add(n->source(), fmt::format("{} must be written as [[{}]] tables", name, name));
        return;
    }
    std::size_t index = 0;
    for (const toml::node& item : *arr) {
        ++index;
        const toml::table* t = item.as_table();
        if (!t) {
            diags.add(item.source(), fmt::format("[[{}]] #{}: expected a table", name, index));
            continue;
        }
        TableReader r(*t, fmt::format("[[{}]] #{}", name, index), diags);
        fn(r);
        r.finish();
    }
}

// Calls fn(reader) for the table [name] if present.
template <typename Fn>
void with_table(const toml::table& root, std::string_view name, Diagnostics& diags, Fn fn) {
    const toml::node* n = root.get(name);
    if (!n) return;
    const toml::table* t = n->as_table();
    if (!t) {
        diags.add(n->source(), fmt::format("{} must be a table [{}]", name, name));
        return;
    }
    TableReader r(*t, fmt::format("[{}]", name), diags);
    fn(r);
    r.finish();
}

void read_all(const toml::table& root, Config& c, Diagnostics& d) {
    static const std::set<std::string, std::less<>> kSections = {
        "server", "listen", "tls", "auth",  "relay", "queue",    "local", "backup", "limits", "dns",
        "dnsbl",  "web",    "log", "store", "watch", "delivery", "dkim",  "checks", "scan"};
    bool exempt_set = false;
    for (const auto& [k, v] : root) {
        if (!kSections.contains(k.str())) {
            d.add(v.source(), fmt::format("unknown section or key \"{}\"", k.str()));
        }
    }
    with_table(root, "server", d, [&](TableReader& r) {
        r.string("hostname", c.server.hostname);
        c.server.hostname =
            util::ascii_lower(c.server.hostname);  // compared with lower-cased domains
        r.string("spool", c.server.spool);
        r.string("user", c.server.user);
        r.string("group", c.server.group);
        std::vector<std::string> addrs;
        r.strings("addresses", addrs);
        for (const auto& a : addrs) {
            if (auto ip = util::parse_ip(a)) {
                c.server.addresses.push_back(*ip);
            } else {
                r.error("addresses", fmt::format("\"{}\" is not an IP address", a));
            }
        }
    });
    each_table(root, "listen", d, [&](TableReader& r) {
        Listen l;
        std::string role = "mx";
        r.string("address", l.address);
        r.string("role", role);
        if (role == "mx") {
            l.role = Role::mx;
        } else if (role == "submission") {
            l.role = Role::submission;
        } else if (role == "submissions") {
            l.role = Role::submissions;
        } else {
            r.error("role",
                    fmt::format("\"{}\" is not a role (mx, submission, submissions)", role));
        }
        auto hp = util::parse_host_port(l.address);
        if (!hp) {
            r.error(
                r.has("address") ? "address" : "role",
                fmt::format("address \"{}\" must be host:port, e.g. 127.0.0.1:2525", l.address));
        } else if (!util::parse_ip(hp->host)) {
            r.error("address",
                    fmt::format("address \"{}\" must be an IP address and port (a host name "
                                "could resolve to several addresses, or none)",
                                l.address));
        } else {
            l.host = hp->host;
            l.port = hp->port;
        }
        c.listen.push_back(l);
    });
    with_table(root, "tls", d, [&](TableReader& r) {
        r.string("cert", c.tls.cert);
        r.string("key", c.tls.key);
    });
    with_table(root, "auth", d, [&](TableReader& r) {
        r.string("users", c.auth.users);
        r.count("max_failures", c.auth.max_failures, 1, 100);
        r.duration("failure_delay", c.auth.failure_delay);
    });
    with_table(root, "relay", d, [&](TableReader& r) { r.networks("networks", c.relay.networks); });
    with_table(root, "queue", d, [&](TableReader& r) { read_queue_keys(r, c.queue); });
    each_table(root, "local", d, [&](TableReader& r) {
        LocalDomain l;
        r.string("domain", l.domain);
        r.string("maildir", l.maildir);
        r.string("lmtp", l.lmtp);
        r.strings("recipients", l.recipients);
        l.recipients = lowered(l.recipients);
        l.domain = util::ascii_lower(l.domain);
        read_maildir_owner(r, l);
        r.boolean("scan", l.scan);
        c.locals.push_back(l);
    });
    // Backup domains inherit [queue]; read them after it whatever the file order.
    each_table(root, "backup", d, [&](TableReader& r) {
        BackupDomain b;
        b.queue = c.queue;
        std::string unknown = "defer";
        r.string("domain", b.domain);
        r.string("primary", b.primary);
        r.strings("recipients", b.recipients);
        r.string("recipients_file", b.recipients_file);
        r.boolean("verify", b.verify);
        r.duration("verify_good_for", b.verify_good_for);
        r.duration("verify_bad_for", b.verify_bad_for);
        r.string("unknown_while_down", unknown);
        read_queue_keys(r, b.queue);
        r.boolean("scan", b.scan);
        if (unknown == "accept") {
            b.unknown_while_down = UnknownWhileDown::accept;
        } else if (unknown != "defer") {
            r.error("unknown_while_down", "expected \"defer\" or \"accept\"");
        }
        b.recipients = lowered(b.recipients);
        b.domain = util::ascii_lower(b.domain);
        c.backups.push_back(b);
    });
    each_table(root, "dkim", d, [&](TableReader& r) {
        DkimKey k;
        r.string("domain", k.domain);
        r.string("selector", k.selector);
        r.string("key", k.key);
        r.string("type", k.type);
        k.domain = util::ascii_lower(k.domain);
        c.dkim.push_back(k);
    });
    with_table(root, "checks", d, [&](TableReader& r) {
        std::string spf = "off", dmarc = "off";
        r.string("spf", spf);
        r.string("dmarc", dmarc);
        if (spf == "tag") {
            c.checks.spf = SpfAction::tag;
        } else if (spf == "reject-fail") {
            c.checks.spf = SpfAction::reject_fail;
        } else if (spf != "off") {
            r.error("spf", "expected \"off\", \"tag\" or \"reject-fail\"");
        }
        if (dmarc == "tag") {
            c.checks.dmarc = DmarcAction::tag;
        } else if (dmarc == "enforce") {
            c.checks.dmarc = DmarcAction::enforce;
        } else if (dmarc != "off") {
            r.error("dmarc", "expected \"off\", \"tag\" or \"enforce\"");
        }
    });
    with_table(root, "limits", d, [&](TableReader& r) {
        Limits& l = c.limits;
        r.count("line_length", l.line_length, 1000, 1 << 20);
        r.count("message_size", l.message_size, 1024, std::size_t{1} << 32);
        r.count("spool_reserve", l.spool_reserve, 0, std::size_t{1} << 40);
        r.count("recipients", l.recipients, 1, 100000);
        r.count("hops", l.hops, 1, 1000);
        r.count("data_in_memory", l.data_in_memory, 0, std::size_t{1} << 30);
        r.count("errors", l.errors, 1, 1000);
        r.count("connections_per_ip", l.connections_per_ip, 1, 1000000);
        r.count("connections", l.connections, 1, 1000000);
        exempt_set = r.has("exempt_networks");
        r.networks("exempt_networks", l.exempt_networks);
        r.duration("idle_timeout", l.idle_timeout);
        r.duration("session_timeout", l.session_timeout);
    });
    with_table(root, "delivery", d, [&](TableReader& r) {
        Delivery& t = c.delivery;
        r.duration("connect_timeout", t.connect_timeout);
        r.duration("greeting_timeout", t.greeting_timeout);
        r.duration("command_timeout", t.command_timeout);
        r.duration("data_init_timeout", t.data_init_timeout);
        r.duration("data_block_timeout", t.data_block_timeout);
        r.duration("data_done_timeout", t.data_done_timeout);
        r.duration("tls_timeout", t.tls_timeout);
    });
    with_table(root, "dns", d, [&](TableReader& r) {
        r.strings("servers", c.dns.servers);
        r.duration("timeout", c.dns.timeout);
        r.count("tries", c.dns.tries, 1, 10);
    });
    with_table(root, "dnsbl", d, [&](TableReader& r) {
        std::string action = "reject";
        r.strings("zones", c.dnsbl.zones);
        r.string("action", action);
        r.number_map("weights", c.dnsbl.weights);
        r.number("threshold", c.dnsbl.threshold);
        r.networks("allow", c.dnsbl.allow);
        r.duration("deadline", c.dnsbl.deadline);
        if (action == "log") {
            c.dnsbl.action = DnsblAction::log;
        } else if (action != "reject") {
            r.error("action", "expected \"reject\" or \"log\"");
        }
    });
    with_table(root, "web", d, [&](TableReader& r) {
        Web& w = c.web;
        r.string("address", w.address);
        r.networks("test_networks", w.test_networks);
        r.string("admins", w.admins);
        r.boolean("tls", w.tls);
        r.count("max_connections", w.max_connections, 1, 100000);
        r.count("max_tests", w.max_tests, 1, 100);
        r.count("tests_per_client", w.tests_per_client, 1, 100000);
        r.count("tests_per_target", w.tests_per_target, 1, 100000);
        r.count("lookups_per_client", w.lookups_per_client, 1, 1000000);
        r.duration("request_timeout", w.request_timeout);
        if (w.request_timeout.count() == 0) r.error("request_timeout", "must be longer than 0s");
    });
    with_table(root, "store", d, [&](TableReader& r) { r.string("url", c.store.url); });
    with_table(root, "watch", d, [&](TableReader& r) {
        Watch& w = c.watch;
        r.boolean("enabled", w.enabled);
        r.duration("mx_interval", w.mx_interval);
        r.duration("retest_interval", w.retest_interval);
        r.duration("rbl_interval", w.rbl_interval);
        r.duration("sample_interval", w.sample_interval);
        r.integers("charges", w.charges, 0, 1000000000);
        r.string("abuse", w.abuse);
        r.strings("zones", w.zones);
        r.count("concurrency", w.concurrency, 1, 100);
        r.duration("test_timeout", w.test_timeout);
        r.duration("retry_inconclusive", w.retry_inconclusive);
        r.duration("test_pause", w.test_pause);
        unsigned port = w.test_port;
        r.count("test_port", port, 1u, 65535u);
        w.test_port = static_cast<std::uint16_t>(port);
        r.string("mx_name", w.mx_name);
        r.string("notice_from", w.notice_from);
        w.mx_name = util::ascii_lower(w.mx_name);
        const std::pair<const char*, Seconds> must_be_positive[] = {
            {"mx_interval", w.mx_interval},
            {"retest_interval", w.retest_interval},
            {"rbl_interval", w.rbl_interval},
            {"test_timeout", w.test_timeout},
            {"retry_inconclusive", w.retry_inconclusive}};
        for (const auto& [key, value] : must_be_positive) {
            if (value.count() == 0) r.error(key, "must be longer than 0s");
        }
    });
    with_table(root, "scan", d, [&](TableReader& r) { read_scan(r, c.scan); });
    with_table(root, "log", d, [&](TableReader& r) { r.string("level", c.log_level); });
    if (!exempt_set) c.limits.exempt_networks = c.relay.networks;
}

}  // namespace

const char* role_name(Role r) {
    switch (r) {
        case Role::mx:
            return "mx";
        case Role::submission:
            return "submission";
        case Role::submissions:
            return "submissions";
    }
    return "?";
}

std::string Diagnostic::str() const {
    return line ? fmt::format("{}:{}: {}", file, line, message)
                : fmt::format("{}: {}", file, message);
}

LoadResult load_string(const std::string& text, const std::string& name) {
    Diagnostics diags(name);
    LoadResult result;
    toml::table root;
    try {
        // Debian builds toml++ with exceptions: a syntax error throws.
        root = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
        diags.add(e.source(), std::string(e.description()));
        result.diagnostics = diags.take();
        return result;
    }
    Config c;
    c.path = name;
    c.server.hostname = machine_hostname();
    c.relay.networks = {*util::parse_network("127.0.0.1"), *util::parse_network("::1")};
    c.web.test_networks = {*util::parse_network("127.0.0.0/8"), *util::parse_network("::1")};
    read_all(root, c, diags);
    if (c.store.url.empty()) {
        std::filesystem::path beside = std::filesystem::path(c.server.spool).parent_path();
        c.store.url = "sqlite:" + (beside / "holdfast.db").string();
    }
    if (c.watch.zones.empty()) c.watch.zones = c.dnsbl.zones;
    if (c.watch.mx_name.empty()) c.watch.mx_name = c.server.hostname;
    if (c.watch.notice_from.empty()) c.watch.notice_from = "postmaster@" + c.server.hostname;
    validate(root, c, diags);
    result.diagnostics = diags.take();
    if (result.diagnostics.empty()) result.config = std::move(c);
    return result;
}

LoadResult load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        LoadResult r;
        r.diagnostics.push_back(Diagnostic{path, 0, "cannot read the file"});
        return r;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return load_string(ss.str(), path);
}

}  // namespace holdfast::config
