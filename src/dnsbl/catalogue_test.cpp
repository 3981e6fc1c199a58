#include "dnsbl/catalogue.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "util/net.hpp"

namespace holdfast::dnsbl {
namespace {

TEST(Catalogue, AtLeast25ZonesWithWellFormedCodes) {
    std::set<std::string_view> names;
    int block_lists = 0;
    for (const ZoneInfo& z : catalogue()) {
        EXPECT_TRUE(names.insert(z.name).second) << "duplicate " << z.name;
        EXPECT_EQ(find_zone(z.name), &z);
        EXPECT_FALSE(z.codes.empty()) << z.name;
        block_lists += !z.allow_list;
        for (const ReturnCode& c : z.codes) {
            if (z.bitmask) {
                unsigned bit = std::stoul(std::string(c.address));
                EXPECT_TRUE(bit && (bit & (bit - 1)) == 0) << z.name << " " << c.address;
            } else {
                auto ip = util::parse_ip(c.address);
                ASSERT_TRUE(ip && ip->is_v4() && ip->bytes[12] == 127)
                    << z.name << " " << c.address;
            }
            EXPECT_FALSE(c.meaning.empty());
        }
    }
    EXPECT_GE(names.size(), 25u);
    EXPECT_GE(block_lists, 25);
}

TEST(Catalogue, DeadZonesStayOut) {
    for (const char* dead :
         {"dnsbl.sorbs.net", "dnsbl.ahbl.org", "relays.ordb.org", "list.dsbl.org",
          "dnsbl.njabl.org", "ix.dnsbl.manitu.net", "virbl.bit.nl", "db.wpbl.info"}) {
        EXPECT_EQ(find_zone(dead), nullptr) << dead;
    }
}

TEST(Catalogue, DefaultsMatchTheTarget) {
    auto v4 = default_zones(Target::Kind::ipv4);
    auto v6 = default_zones(Target::Kind::ipv6);
    auto dom = default_zones(Target::Kind::domain);
    EXPECT_GE(v4.size(), 20u);
    EXPECT_NE(std::find(v4.begin(), v4.end(), "zen.spamhaus.org"), v4.end());
    EXPECT_EQ(std::find(v4.begin(), v4.end(), "list.dnswl.org"),
              v4.end());  // allow-lists: ask explicitly
    EXPECT_EQ(std::find(v4.begin(), v4.end(), "sbl.spamhaus.org"), v4.end());  // inside zen already
    EXPECT_NE(std::find(v6.begin(), v6.end(), "bl.ipv6.spameatingmonkey.net"), v6.end());
    EXPECT_EQ(std::find(v6.begin(), v6.end(), "bl.spamcop.net"), v6.end());
    EXPECT_NE(std::find(dom.begin(), dom.end(), "dbl.spamhaus.org"), dom.end());
    EXPECT_TRUE(serves(nullptr, Target::Kind::domain));
    EXPECT_EQ(find_zone("ZEN.Spamhaus.org."), find_zone("zen.spamhaus.org"));
}

}  // namespace
}  // namespace holdfast::dnsbl
