#include "dnsbl/classify.hpp"

#include <gtest/gtest.h>

#include "dns/error.hpp"

namespace holdfast::dnsbl {
namespace {

dns::Result answer(std::initializer_list<const char*> addresses) {
    dns::Result r;
    for (const char* a : addresses) r.answer.addresses.push_back(*util::parse_ip(a));
    return r;
}

dns::Result failed(dns::Errc e) {
    dns::Result r;
    r.error = make_error_code(e);
    return r;
}

TEST(Classify, ListedWithMeanings) {
    Classified c = classify(find_zone("zen.spamhaus.org"), answer({"127.0.0.2", "127.0.0.11"}));
    EXPECT_EQ(c.status, Status::listed);
    ASSERT_EQ(c.codes.size(), 2u);
    EXPECT_EQ(c.codes[0].address, "127.0.0.2");
    EXPECT_NE(c.codes[0].meaning.find("SBL"), std::string::npos);
    EXPECT_NE(c.codes[1].meaning.find("PBL"), std::string::npos);
}

TEST(Classify, NotListedOnlyForNxdomainAndNoData) {
    EXPECT_EQ(classify(nullptr, failed(dns::Errc::nxdomain)).status, Status::clean);
    EXPECT_EQ(classify(nullptr, failed(dns::Errc::no_data)).status, Status::clean);
    EXPECT_EQ(classify(nullptr, failed(dns::Errc::timeout)).status, Status::timeout);
    EXPECT_EQ(classify(nullptr, failed(dns::Errc::server_failure)).status, Status::error);
    EXPECT_EQ(classify(nullptr, failed(dns::Errc::refused)).status, Status::error);
    EXPECT_EQ(classify(nullptr, failed(dns::Errc::malformed)).status, Status::error);
}

TEST(Classify, OperatorErrorCodesAreNeverListings) {
    for (const char* code : {"127.255.255.252", "127.255.255.254", "127.255.255.255"}) {
        Classified c = classify(find_zone("zen.spamhaus.org"), answer({code}));
        EXPECT_EQ(c.status, Status::error) << code;
        EXPECT_EQ(c.codes.at(0).address, code);
        EXPECT_EQ(classify(nullptr, answer({code})).status, Status::error)
            << "unknown zone " << code;
    }
    Classified dbl = classify(find_zone("dbl.spamhaus.org"), answer({"127.0.1.255"}));
    EXPECT_EQ(dbl.status, Status::error);
    EXPECT_NE(dbl.detail.find("IP queries"), std::string::npos);
    EXPECT_EQ(classify(find_zone("list.dnswl.org"), answer({"127.0.0.255"})).status, Status::error);
}

TEST(Classify, AnswersOutside127Slash8AreErrors) {
    Classified c = classify(nullptr, answer({"192.0.2.1"}));
    EXPECT_EQ(c.status, Status::error);
    EXPECT_NE(c.detail.find("outside 127.0.0.0/8"), std::string::npos);
    EXPECT_EQ(classify(nullptr, answer({"::1"})).status, Status::error);
    // A real listing next to junk is still a listing.
    EXPECT_EQ(classify(nullptr, answer({"10.0.0.1", "127.0.0.2"})).status, Status::listed);
}

TEST(Classify, BitmaskZones) {
    Classified uribl = classify(find_zone("multi.uribl.com"), answer({"127.0.0.6"}));
    EXPECT_EQ(uribl.status, Status::listed);
    EXPECT_NE(uribl.codes[0].meaning.find("black"), std::string::npos);
    EXPECT_NE(uribl.codes[0].meaning.find("grey"), std::string::npos);
    EXPECT_EQ(classify(find_zone("multi.uribl.com"), answer({"127.0.0.1"})).status, Status::error);
    EXPECT_EQ(classify(find_zone("multi.surbl.org"), answer({"127.0.0.1"})).status, Status::error);
    EXPECT_EQ(classify(find_zone("multi.surbl.org"), answer({"127.0.0.8"})).status, Status::listed);
}

TEST(Classify, NeutralCodesAndUnknownZones) {
    const ZoneInfo* karma = find_zone("hostkarma.junkemailfilter.com");
    EXPECT_EQ(classify(karma, answer({"127.0.0.1"})).status, Status::clean);  // whitelisted
    EXPECT_EQ(classify(karma, answer({"127.0.0.2"})).status, Status::listed);
    Classified odd = classify(find_zone("bl.spamcop.net"), answer({"127.0.0.99"}));
    EXPECT_EQ(odd.status, Status::listed);
    EXPECT_NE(odd.codes[0].meaning.find("not documented"), std::string::npos);
    EXPECT_EQ(classify(nullptr, answer({"127.0.0.2"})).codes[0].meaning, "");
}

TEST(Classify, StatusNamesMatchTheContract) {
    EXPECT_STREQ(status_name(Status::listed), "listed");
    EXPECT_STREQ(status_name(Status::clean), "clean");
    EXPECT_STREQ(status_name(Status::timeout), "timeout");
    EXPECT_STREQ(status_name(Status::error), "error");
    EXPECT_STREQ(status_name(Status::broken), "broken");
}

}  // namespace
}  // namespace holdfast::dnsbl
