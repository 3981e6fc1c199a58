#include "dmarc/record.hpp"

#include <gtest/gtest.h>

#include "dmarc/evaluate.hpp"

namespace holdfast::dmarc {
namespace {

TEST(DmarcRecord, Parses) {
    auto r =
        Record::parse("v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; rua=mailto:x@y");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->p, Policy::reject);
    EXPECT_EQ(r->sp, Policy::quarantine);
    EXPECT_TRUE(r->strict_dkim);
    EXPECT_FALSE(r->strict_spf);
    EXPECT_EQ(r->pct, 50u);
    EXPECT_EQ(Record::parse("v=DMARC1;p=none")->p, Policy::none);
    EXPECT_EQ(Record::parse("v=DMARC1; p=bogus; rua=mailto:a@b")->p, Policy::none);
}

TEST(DmarcRecord, RefusesMalformed) {
    for (const char* bad : {"", "v=DMARC2; p=none", "p=none; v=DMARC1", "v=DMARC1; p=bogus",
                            "v=DMARC1", "v=DMARC1; p=none;; x", "v=DMARC1x; p=none", "v=spf1 -all",
                            "v=DMARC1; p=none; p=reject"}) {
        EXPECT_FALSE(Record::parse(bad)) << bad;
    }
    // Bad optional values are ignored, not fatal.
    auto r = Record::parse("v=DMARC1; p=reject; pct=500; sp=maybe");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->pct, 100u);
    EXPECT_FALSE(r->sp);
}

TEST(PublicSuffix, OrganizationalDomain) {
    auto psl = PublicSuffixList::parse(
        "// comment\ncom\nuk\nco.uk\n*.ck\n!www.ck\njp\nkawasaki.jp\n*.kawasaki.jp\n"
        "!city.kawasaki.jp\n");
    EXPECT_EQ(psl.organizational_domain("mail.example.com"), "example.com");
    EXPECT_EQ(psl.organizational_domain("Example.COM."), "example.com");
    EXPECT_EQ(psl.organizational_domain("a.b.example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl.organizational_domain("x.y.ck"), "x.y.ck");
    EXPECT_EQ(psl.organizational_domain("a.www.ck"), "www.ck");
    EXPECT_EQ(psl.organizational_domain("a.city.kawasaki.jp"), "city.kawasaki.jp");
    EXPECT_EQ(psl.organizational_domain("a.b.c.kawasaki.jp"), "b.c.kawasaki.jp");
    EXPECT_EQ(psl.organizational_domain("a.b.test"), "b.test");  // the implicit * rule
    EXPECT_EQ(psl.organizational_domain("com"), "com");
    EXPECT_EQ(psl.organizational_domain(""), "");
}

TEST(PublicSuffix, DebiansListLoads) {
    auto psl = PublicSuffixList::load();
    if (!psl) GTEST_SKIP() << "publicsuffix is not installed";
    EXPECT_EQ(psl->organizational_domain("mail.bbc.co.uk"), "bbc.co.uk");
}

TEST(DmarcEvaluate, AlignmentAndPolicy) {
    auto psl = PublicSuffixList::parse("test\n");
    Record rec = *Record::parse("v=DMARC1; p=reject; sp=quarantine");
    Input in{"example.test", true, "bounce.example.test", {}};
    EXPECT_EQ(evaluate(psl, in, rec, false, 0).result, Result::pass);  // relaxed SPF
    rec.strict_spf = true;
    auto e = evaluate(psl, in, rec, false, 0);
    EXPECT_EQ(e.result, Result::fail);
    EXPECT_EQ(e.policy, Policy::reject);
    EXPECT_EQ(evaluate(psl, in, rec, true, 0).policy, Policy::quarantine);  // sp=
    in.dkim_passing = {"other.test", "mail.example.test"};
    EXPECT_EQ(evaluate(psl, in, rec, false, 0).result, Result::pass);  // relaxed DKIM
    rec.strict_dkim = true;
    EXPECT_EQ(evaluate(psl, in, rec, false, 0).result, Result::fail);
    rec.pct = 10;
    EXPECT_EQ(evaluate(psl, in, rec, false, 50).policy, Policy::quarantine);  // sampled out
}

}  // namespace
}  // namespace holdfast::dmarc
