#include "config/config.hpp"

#include <gtest/gtest.h>

using namespace holdfast::config;

namespace {
const std::string kMinimal = R"(
[server]
hostname = "mx.example.test"
[[listen]]
address = "127.0.0.1:2525"
)";

LoadResult load(const std::string& extra) {
    return load_string(kMinimal + extra, "test.toml");
}

std::string joined(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.str() + "\n";
    return out;
}
}  // namespace

TEST(Config, ShippedDefaultLoads) {
    LoadResult r = load_file(std::string(HOLDFAST_SOURCE_DIR) + "/config/holdfast.toml");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->listen.at(0).port, 2525);
    EXPECT_EQ(r.config->locals.at(0).domain, "example.test");
    EXPECT_EQ(r.config->queue.probe_interval, std::chrono::seconds(90));
}

TEST(Config, DefaultsAreClosedAndSane) {
    LoadResult r = load("");
    ASSERT_TRUE(r.config) << joined(r);
    const Config& c = *r.config;
    ASSERT_EQ(c.relay.networks.size(), 2u);
    EXPECT_EQ(c.relay.networks[0].str(), "127.0.0.1/32");
    EXPECT_EQ(c.queue.lifetime, std::chrono::hours(24 * 7));
    EXPECT_EQ(c.limits.line_length, 1000u);
    EXPECT_EQ(c.listen[0].role, Role::mx);
}

TEST(Config, WebKeys) {
    auto r = load(R"(
[web]
address = "127.0.0.1:8025"
test_networks = ["192.0.2.0/24"]
max_tests = 2
request_timeout = "3s"
)");
    ASSERT_TRUE(r.config) << (r.diagnostics.empty() ? "" : r.diagnostics[0].str());
    EXPECT_EQ(r.config->web.test_networks.size(), 1u);
    EXPECT_EQ(r.config->web.max_tests, 2u);
    EXPECT_EQ(r.config->web.request_timeout.count(), 3);
    // Default: loopback only.
    EXPECT_EQ(load("").config->web.test_networks.size(), 2u);
    // HTTPS needs the [tls] certificate.
    EXPECT_FALSE(load("[web]\naddress = \"127.0.0.1:8025\"\ntls = true\n").config);
    EXPECT_FALSE(load("[web]\ntest_networks = [\"10.1.2.3/8\"]\n").config);
}

TEST(Config, ReportsUnknownKeysWithTheirLine) {
    LoadResult r = load("[queue]\nlifetime = \"7d\"\nlifetme = \"2d\"\n");
    ASSERT_FALSE(r.config);
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].line, 8u);
    EXPECT_NE(r.diagnostics[0].str().find("test.toml:8: [queue]: unknown key \"lifetme\""),
              std::string::npos)
        << joined(r);
    EXPECT_FALSE(load("[relya]\nnetworks = []\n").config);
}

TEST(Config, ReportsEveryErrorNotJustTheFirst) {
    LoadResult r =
        load("[queue]\nlifetime = 7\nretry_min = \"5 minutes\"\n[limits]\nrecipients = 0\n");
    EXPECT_EQ(r.diagnostics.size(), 3u) << joined(r);
}

TEST(Config, SyntaxErrorHasALine) {
    LoadResult r = load_string("[server\nhostname = 1\n", "bad.toml");
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].line, 1u);
}

TEST(Config, RefusesAnOpenRelay) {
    for (const char* net : {"0.0.0.0/0", "::/0", "10.0.0.0/7", "128.0.0.0/1", "::ffff:0.0.0.0/96",
                            "::/80", "2000::/3"}) {
        LoadResult r =
            load(std::string("[relay]\nnetworks = [\"192.168.0.0/16\", \"") + net + "\"]\n");
        EXPECT_FALSE(r.config) << net;
        EXPECT_NE(joined(r).find("open relay"), std::string::npos) << joined(r);
    }
    EXPECT_TRUE(load("[relay]\nnetworks = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n").config);
    // A typo in a network is an error, never "no restriction".
    EXPECT_FALSE(load("[relay]\nnetworks = [\"192.168.1.0/24x\"]\n").config);
    EXPECT_FALSE(load("[relay]\nnetworks = \"0.0.0.0/0\"\n").config);
}

TEST(Config, SubmissionNeedsTlsAndAuth) {
    LoadResult r = load("[[listen]]\naddress = \"127.0.0.1:2587\"\nrole = \"submission\"\n");
    EXPECT_FALSE(r.config);
    EXPECT_NE(joined(r).find("needs [tls]"), std::string::npos) << joined(r);
    EXPECT_FALSE(load("[[listen]]\naddress = \"127.0.0.1:2465\"\nrole = \"submissions\"\n").config);
    EXPECT_FALSE(load("[[listen]]\naddress = \"127.0.0.1:2465\"\nrole = \"relay\"\n").config);
}

TEST(Config, ListenAndDomainsAreChecked) {
    EXPECT_FALSE(load("[[listen]]\naddress = \"127.0.0.1\"\n").config);
    EXPECT_FALSE(load("[[listen]]\naddress = \"localhost:2525\"\n").config);
    EXPECT_EQ(
        load_string(
            "[server]\nhostname = \"MX.Example.TEST\"\n[[listen]]\naddress = \"[::1]:25\"\n", "x")
            .config->server.hostname,
        "mx.example.test");
    EXPECT_FALSE(load("[[local]]\ndomain = \"bad domain\"\n").config);
    EXPECT_FALSE(load("[[local]]\ndomain = \"a.test\"\n[[backup]]\ndomain = \"A.test.\"\n").config);
    EXPECT_FALSE(
        load_string("[server]\nhostname = \"mx.example.test\"\n", "x").config);  // no listener
    EXPECT_FALSE(load("[tls]\ncert = \"/nonexistent.pem\"\nkey = \"/nonexistent.key\"\n").config);
}

TEST(Config, BackupInheritsAndOverridesQueue) {
    LoadResult r = load(
        "[queue]\nretry_min = \"1m\"\n[[backup]]\ndomain = \"c.test\"\nlifetime = \"2d\"\n"
        "recipients = [\"Alice\"]\n");
    ASSERT_TRUE(r.config) << joined(r);
    const BackupDomain& b = r.config->backups.at(0);
    EXPECT_EQ(b.queue.retry_min, std::chrono::minutes(1));
    EXPECT_EQ(b.queue.lifetime, std::chrono::hours(48));
    EXPECT_EQ(b.recipients.at(0), "alice");
}

TEST(Config, BackupRecipientsFileAndVerifyKeys) {
    LoadResult r = load(
        "[[backup]]\ndomain = \"customer.test\"\nverify = true\n"
        "verify_good_for = \"10d\"\nverify_bad_for = \"1h\"\n");
    ASSERT_TRUE(r.config) << joined(r);
    const BackupDomain& b = r.config->backups.at(0);
    EXPECT_TRUE(b.verify);
    EXPECT_EQ(b.verify_good_for, std::chrono::hours(240));
    EXPECT_EQ(b.verify_bad_for, std::chrono::hours(1));
    r = load("[[backup]]\ndomain = \"customer.test\"\n");
    EXPECT_EQ(r.config->backups.at(0).verify_good_for, std::chrono::hours(31 * 24));
    EXPECT_EQ(r.config->backups.at(0).verify_bad_for, std::chrono::hours(3 * 24));
}

TEST(Config, AMissingRecipientsFileIsAnErrorWithItsLine) {
    LoadResult r = load(
        "[[backup]]\ndomain = \"customer.test\"\n"
        "recipients_file = \"/nonexistent/holdfast-recipients\"\n");
    ASSERT_FALSE(r.config);
    EXPECT_NE(joined(r).find("test.toml:8: [[backup]] recipients_file "
                             "\"/nonexistent/holdfast-recipients\" cannot be read"),
              std::string::npos)
        << joined(r);
    r = load(
        "[[backup]]\ndomain = \"customer.test\"\nrecipients = [\"a\"]\n"
        "recipients_file = \"" +
        std::string(HOLDFAST_SOURCE_DIR) + "/CMakeLists.txt\"\n");
    EXPECT_NE(joined(r).find("give one or the other"), std::string::npos) << joined(r);
}

TEST(Config, DeliveryTimeoutsDefaultToTheRfcAndCanBeShortened) {
    LoadResult d = load("");
    ASSERT_TRUE(d.config) << joined(d);
    EXPECT_EQ(d.config->delivery.greeting_timeout, std::chrono::minutes(5));
    EXPECT_EQ(d.config->delivery.data_done_timeout, std::chrono::minutes(10));
    LoadResult r = load("[delivery]\nconnect_timeout = \"2s\"\ncommand_timeout = \"3s\"\n");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->delivery.connect_timeout, std::chrono::seconds(2));
    EXPECT_EQ(r.config->delivery.command_timeout, std::chrono::seconds(3));
    EXPECT_FALSE(load("[delivery]\ncommand_timeout = 3\n").config);
    EXPECT_FALSE(load("[delivery]\ncomand_timeout = \"3s\"\n").config);
}

TEST(Config, ExemptNetworksDefaultToRelayNetworks) {
    LoadResult r = load("[relay]\nnetworks = [\"192.0.2.0/24\"]\n");
    ASSERT_TRUE(r.config) << joined(r);
    ASSERT_EQ(r.config->limits.exempt_networks.size(), 1u);
    EXPECT_EQ(r.config->limits.exempt_networks[0].str(), "192.0.2.0/24");
    LoadResult none = load("[limits]\nexempt_networks = []\n");
    ASSERT_TRUE(none.config) << joined(none);
    EXPECT_TRUE(none.config->limits.exempt_networks.empty());
}

TEST(Config, LimitsHopsAndDataInMemory) {
    LoadResult r = load("");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->limits.hops, 50u);
    EXPECT_EQ(r.config->limits.data_in_memory, 64u * 1024);
    r = load("[limits]\nhops = 10\ndata_in_memory = 0\n");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->limits.hops, 10u);
    EXPECT_EQ(r.config->limits.data_in_memory, 0u);
    EXPECT_FALSE(load("[limits]\nhops = 0\n").config);
}

TEST(Config, LocalRecipientsThatCanNeverBeDeliveredAreRefused) {
    LoadResult r = load(
        "[[local]]\ndomain = \"example.test\"\n"
        "recipients = [\"alice\", \"../x\", \"a/b\", \"..\", \"\", \"J\xc3\x96RG\"]\n");
    EXPECT_FALSE(r.config);
    std::string all = joined(r);
    EXPECT_NE(all.find("\"../x\""), std::string::npos) << all;
    EXPECT_NE(all.find("\"a/b\""), std::string::npos) << all;
    EXPECT_NE(all.find("\"..\""), std::string::npos) << all;
    EXPECT_NE(all.find("\"\""), std::string::npos) << all;
    EXPECT_EQ(all.find("alice"), std::string::npos) << all;
    EXPECT_EQ(r.diagnostics.size(), 4u) << all;
    EXPECT_EQ(r.diagnostics[0].line, 8u) << all;
    // UTF-8 local parts are folded with Unicode lowercase, not refused.
    r = load("[[local]]\ndomain = \"example.test\"\nrecipients = [\"J\xc3\x96RG\"]\n");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->locals[0].recipients[0], "j\xc3\xb6rg");
}

TEST(Config, UnknownMaildirEscapeIsRefused) {
    LoadResult r = load("[[local]]\ndomain = \"example.test\"\nmaildir = \"mail/%x/%u\"\n");
    EXPECT_FALSE(r.config);
    EXPECT_NE(joined(r).find("unknown escape %x"), std::string::npos) << joined(r);
    EXPECT_FALSE(load("[[local]]\ndomain = \"example.test\"\nmaildir = \"mail/%u%\"\n").config);
    EXPECT_TRUE(load("[[local]]\ndomain = \"example.test\"\nmaildir = \"m/%d/%u/%%\"\n").config);
}

TEST(Config, MaildirOwnerAndMode) {
    LoadResult r = load(
        "[[local]]\ndomain = \"example.test\"\nmaildir_user = \"nobody\"\n"
        "maildir_mode = \"0660\"\n");
    ASSERT_TRUE(r.config) << joined(r);
    const LocalDomain& l = r.config->locals[0];
    EXPECT_EQ(l.maildir_uid, 65534);
    EXPECT_EQ(l.maildir_gid, 65534);  // nobody's primary group
    EXPECT_EQ(l.maildir_mode, 0660u);
    r = load("[[local]]\ndomain = \"example.test\"\nmaildir_group = \"12\"\n");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->locals[0].maildir_uid, -1);
    EXPECT_EQ(r.config->locals[0].maildir_gid, 12);
    EXPECT_EQ(r.config->locals[0].maildir_mode, 0600u);
    r = load(
        "[[local]]\ndomain = \"example.test\"\nmaildir_user = \"no-such-user-here\"\n"
        "maildir_mode = \"0644\"\n");
    EXPECT_FALSE(r.config);
    EXPECT_NE(joined(r).find("no such user"), std::string::npos) << joined(r);
    EXPECT_NE(joined(r).find("maildir_mode"), std::string::npos) << joined(r);
}

TEST(Config, StoreAndWatchDefaultsAndKeys) {
    LoadResult r = load("");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->store.url, "sqlite:var/holdfast.db");  // beside the default spool
    EXPECT_FALSE(r.config->watch.enabled);
    EXPECT_EQ(r.config->watch.charges, (std::vector<long>{0, 100, 200}));
    EXPECT_EQ(r.config->watch.mx_interval, Seconds(300));
    EXPECT_EQ(r.config->watch.mx_name, "mx.example.test");

    r = load(R"(
[dnsbl]
zones = ["zen.spamhaus.org"]
[store]
url = "postgresql://holdfast@/holdfast?host=/run/postgresql"
[watch]
enabled = true
mx_interval = "1m"
retest_interval = "1d"
rbl_interval = "6h"
charges = [0, 50]
abuse = "abuse@example.test"
test_port = 2525
)");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->store.url, "postgresql://holdfast@/holdfast?host=/run/postgresql");
    EXPECT_EQ(r.config->watch.zones, std::vector<std::string>{"zen.spamhaus.org"});
    EXPECT_EQ(r.config->watch.charges, (std::vector<long>{0, 50}));
    EXPECT_EQ(r.config->watch.rbl_interval, Seconds(6 * 3600));
    EXPECT_EQ(r.config->watch.test_port, 2525);

    r = load("[watch]\ncharges = []\nmx_interval = \"0s\"\n");
    EXPECT_FALSE(r.config);
    EXPECT_NE(joined(r).find("charges"), std::string::npos) << joined(r);
    EXPECT_NE(joined(r).find("mx_interval"), std::string::npos) << joined(r);
}

TEST(Config, ScanKeysAndPerDomainOption) {
    LoadResult r = load(R"(
[[local]]
domain = "example.test"
scan = true
[[backup]]
domain = "customer.test"
scan = true
[scan]
clamd = "unix:/run/clamav/clamd.ctl"
rspamd = "127.0.0.1:11333"
max_size = 1048576
clamd_timeout = "5s"
on_error = "accept"
)");
    ASSERT_TRUE(r.config) << joined(r);
    const Config& c = *r.config;
    EXPECT_TRUE(c.locals.at(0).scan);
    EXPECT_TRUE(c.backups.at(0).scan);
    EXPECT_TRUE(c.scan.enabled());
    EXPECT_EQ(c.scan.max_size, 1048576u);
    EXPECT_EQ(c.scan.clamd_timeout, std::chrono::seconds(5));
    EXPECT_EQ(c.scan.rspamd_timeout, std::chrono::seconds(30));
    EXPECT_EQ(c.scan.on_error, ScanOnError::accept);
    EXPECT_FALSE(load("").config->scan.enabled());

    LoadResult bad = load(R"(
[scan]
clamd = "/run/clamd.ctl"
rspamd = "localhost"
on_error = "maybe"
rspamd_timeout = "0s"
)");
    ASSERT_FALSE(bad.config);
    std::string all = joined(bad);
    EXPECT_NE(all.find("test.toml:8: [scan] clamd"), std::string::npos) << all;
    EXPECT_NE(all.find("rspamd"), std::string::npos) << all;
    EXPECT_NE(all.find("on_error"), std::string::npos) << all;
    EXPECT_NE(all.find("rspamd_timeout"), std::string::npos) << all;
}

TEST(Config, LmtpTargetsAndNotBothWithMaildir) {
    auto ok = [](const std::string& v) {
        return load("[[local]]\ndomain = \"example.test\"\nlmtp = \"" + v + "\"\n")
            .config.has_value();
    };
    EXPECT_TRUE(ok("unix:/run/dovecot/lmtp"));
    EXPECT_TRUE(ok("127.0.0.1:24"));
    EXPECT_FALSE(ok("unix:run/dovecot/lmtp"));
    EXPECT_FALSE(ok("unix:"));
    EXPECT_FALSE(ok("127.0.0.1"));
    LoadResult r = load(
        "[[local]]\ndomain = \"example.test\"\nmaildir = \"m/%u\"\n\nlmtp = \"127.0.0.1:24\"\n");
    ASSERT_FALSE(r.config);
    EXPECT_NE(joined(r).find("not both"), std::string::npos) << joined(r);
}
