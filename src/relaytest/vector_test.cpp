#include "relaytest/vector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace holdfast::relaytest;

namespace {

Placeholders sample() {
    Placeholders p;
    p.ext = "t1.relay-test.invalid";
    p.to = "relaytest";
    p.from = "antispam";
    p.from_domain = "t1.relay-test.invalid";
    describe_target(p, "mx.example.org", "192.0.2.7", "mail.example.org ESMTP Postfix");
    return p;
}

const Vector* find(const std::vector<Vector>& vs, std::string_view id) {
    auto it = std::find_if(vs.begin(), vs.end(), [&](const Vector& v) { return v.id == id; });
    return it == vs.end() ? nullptr : &*it;
}

}  // namespace

TEST(Vectors, BuiltinBatteryParsesAndIsThorough) {
    VectorFile f = parse_vectors(builtin_vectors_text());
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    EXPECT_GE(f.specs.size(), 30u);
    std::set<std::string> ids;
    for (const auto& s : f.specs) ids.insert(s.id);
    for (int i = 1; i <= 16; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "nmap-%02d", i);
        EXPECT_TRUE(ids.count(id)) << id;  // every nmap combination is there
    }
    EXPECT_TRUE(
        std::any_of(f.specs.begin(), f.specs.end(), [](const auto& s) { return s.tls_too; }));
    EXPECT_TRUE(
        std::any_of(f.specs.begin(), f.specs.end(), [](const auto& s) { return !s.helo.empty(); }));
}

TEST(Vectors, TargetDescriptionFromBanner) {
    Placeholders p = sample();
    EXPECT_EQ(p.banner, "mail.example.org");
    EXPECT_EQ(p.host, "mx.example.org");
    EXPECT_EQ(p.domain, "example.org");
    EXPECT_EQ(p.ip, "192.0.2.7");
    EXPECT_EQ(p.iplit, "[192.0.2.7]");
}

TEST(Vectors, TargetDescriptionFallbacks) {
    Placeholders p;
    // Given an IP and a banner without a name: everything falls back to the literal.
    describe_target(p, "192.0.2.7", "192.0.2.7", "ESMTP ready");
    EXPECT_EQ(p.banner, "[192.0.2.7]");
    EXPECT_EQ(p.host, "[192.0.2.7]");
    EXPECT_EQ(p.domain, "[192.0.2.7]");
    // IPv6 literal form; a banner name is used for host when given an IP.
    describe_target(p, "::1", "::1", "MX.Example.Test. ESMTP");
    EXPECT_EQ(p.iplit, "[IPv6:::1]");
    EXPECT_EQ(p.banner, "mx.example.test");
    EXPECT_EQ(p.host, "mx.example.test");
    EXPECT_EQ(p.domain, "example.test");
    // A two-label banner is its own domain.
    describe_target(p, "example.test", "127.0.0.1", "example.test ready");
    EXPECT_EQ(p.domain, "example.test");
}

TEST(Vectors, ExpandsEveryPlaceholder) {
    Placeholders p = sample();
    std::string out, err;
    ASSERT_TRUE(expand("<{to}%{ext}@{banner}>", p, out, &err));
    EXPECT_EQ(out, "<relaytest%t1.relay-test.invalid@mail.example.org>");
    ASSERT_TRUE(expand("<{from}@{iplit}> {host} {domain} {ip} {from_domain}", p, out, &err));
    EXPECT_EQ(out,
              "<antispam@[192.0.2.7]> mx.example.org example.org 192.0.2.7 t1.relay-test.invalid");
    ASSERT_TRUE(expand("<{TO}@{EXT}>", p, out, &err));
    EXPECT_EQ(out, "<RELAYTEST@T1.RELAY-TEST.INVALID>");
    EXPECT_FALSE(expand("<{nope}@x>", p, out, &err));
    EXPECT_EQ(err, "unknown placeholder {nope}");
    EXPECT_FALSE(expand("<{Ext}@x>", p, out, &err));  // mixed case is a typo, not upper case
    EXPECT_FALSE(expand("<{ext@x>", p, out, &err));
}

TEST(Vectors, ExpandedBatteryForATarget) {
    VectorFile f = parse_vectors(builtin_vectors_text());
    std::vector<std::string> errors;
    auto vs = expand_all(f.specs, sample(), &errors);
    EXPECT_TRUE(errors.empty());
    const Vector* v = find(vs, "nmap-06");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->mail_from, "<antispam@[192.0.2.7]>");
    EXPECT_EQ(v->rcpt_to, "<relaytest%t1.relay-test.invalid@mail.example.org>");
    EXPECT_TRUE(v->via_target);
    v = find(vs, "nmap-02");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->rcpt_to, "<relaytest@t1.relay-test.invalid>");
    EXPECT_FALSE(v->via_target);
    EXPECT_FALSE(find(vs, "rcpt-ip-literal")->via_target);  // a foreign literal
    EXPECT_FALSE(find(vs, "rcpt-upper-case")->via_target);  // case does not matter
    EXPECT_FALSE(find(vs, "nmap-12")->via_target);          // source route: final is outside
    EXPECT_TRUE(find(vs, "nmap-07")->via_target);           // unqualified: the target's
    EXPECT_TRUE(find(vs, "nmap-05")->via_target);           // at the target's literal
    // Routed through the banner's parent domain: mail would go on to that
    // domain's own server (RFC 2505's backup-MX case), not be the target's.
    EXPECT_TRUE(find(vs, "pct-domain")->via_domain);
    EXPECT_TRUE(find(vs, "bang-domain")->via_domain);
    EXPECT_TRUE(find(vs, "pct-domain")->via_target);
    EXPECT_FALSE(find(vs, "nmap-06")->via_domain);  // at the banner name: the target's own
    EXPECT_FALSE(find(vs, "pct-host")->via_domain);
    EXPECT_FALSE(find(vs, "nmap-02")->via_domain);
    EXPECT_EQ(find(vs, "helo-own-name")->helo, "mail.example.org");
    EXPECT_EQ(find(vs, "rcpt-no-brackets")->rcpt_to, "relaytest@t1.relay-test.invalid");
}

TEST(Vectors, DuplicatesAfterExpansionAreDropped) {
    // Given an IP, {host} becomes the banner name: pct-host equals nmap-06's
    // recipient with a different sender, so it stays; same sender would go.
    auto f = parse_vectors(
        "a | - | <x@{ext}> | <{to}%{ext}@{banner}> | one\n"
        "b | - | <x@{ext}> | <{to}%{ext}@{host}> | same once expanded\n"
        "c | helo=h | <x@{ext}> | <{to}%{ext}@{host}> | other HELO: kept\n");
    ASSERT_TRUE(f.errors.empty());
    Placeholders p = sample();
    describe_target(p, "192.0.2.7", "192.0.2.7", "mail.example.org ESMTP");
    auto vs = expand_all(f.specs, p);
    ASSERT_EQ(vs.size(), 2u);
    EXPECT_EQ(vs[0].id, "a");
    EXPECT_EQ(vs[1].id, "c");
}

TEST(Vectors, FileErrorsNameTheLine) {
    auto f = parse_vectors(
        "# comment\n"
        "\n"
        "ok | tls | <> | <{to}@{ext}> | fine\n"
        "bad | - | <> | <{to}@{ext}>\n"
        "ok | - | <> | <a@{ext}> | duplicate id\n"
        "flag | weird | <> | <a@{ext}> | unknown flag\n"
        "ph | - | <{x}> | <a@{ext}> | unknown placeholder\n");
    ASSERT_EQ(f.specs.size(), 1u);
    EXPECT_TRUE(f.specs[0].tls_too);
    ASSERT_EQ(f.errors.size(), 4u);
    EXPECT_EQ(f.errors[0], "line 4: expected 5 fields separated by '|', found 4");
    EXPECT_EQ(f.errors[1], "line 5: duplicate id ok");
    EXPECT_EQ(f.errors[2], "line 6: unknown flag 'weird'");
    EXPECT_EQ(f.errors[3], "line 7: unknown placeholder {x}");
}

TEST(Vectors, WrittenDomain) {
    EXPECT_EQ(written_domain("<a%b@Host.Example.>"), "host.example");
    EXPECT_EQ(written_domain("<\"a@b\">"), "");
    EXPECT_EQ(written_domain("<\"a@b\"@c>"), "c");
    EXPECT_EQ(written_domain("<@r:a@b>"), "b");
    EXPECT_EQ(written_domain("a@b"), "b");
    EXPECT_EQ(written_domain("<b!a>"), "");
}
