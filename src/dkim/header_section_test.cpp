#include "dkim/header_section.hpp"

#include <gtest/gtest.h>

namespace holdfast::dkim {
namespace {

TEST(HeaderSection, SplitsFieldsAndFindsTheBody) {
    std::string msg = "From: a@b\r\nTo: x,\r\n y\r\nSubject: s\r\n\r\nbody\r\n";
    for (std::size_t piece = 1; piece <= msg.size(); ++piece) {
        HeaderSection h;
        std::string rest;
        for (std::size_t i = 0; i < msg.size(); i += piece) {
            std::string_view p = std::string_view(msg).substr(i, piece);
            rest += p.substr(h.feed(p));
        }
        h.finish();
        ASSERT_EQ(rest, "body\r\n");
        ASSERT_EQ(h.fields().size(), 3u);
        EXPECT_EQ(h.fields()[1].name, "to");
        EXPECT_EQ(h.fields()[1].raw, "To: x,\r\n y");
    }
}

TEST(HeaderSection, BottomUpInstances) {
    HeaderSection h;
    h.feed("Received: 1\r\nreceived: 2\r\n\r\n");
    auto r = instances_bottom_up(h.fields(), "received");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]->raw, "received: 2");
}

TEST(HeaderSection, MalformedInput) {
    HeaderSection h;
    h.feed(" leading continuation\r\nno colon\r\nX: y");  // and no final CRLF
    h.finish();
    ASSERT_EQ(h.fields().size(), 3u);
    EXPECT_EQ(h.fields()[2].raw, "X: y");
    HeaderSection small(16);
    small.feed("Subject: 0123456789abcdef0123\r\nTo: a\r\n\r\n");
    EXPECT_TRUE(small.overflow());
    EXPECT_TRUE(small.done());
}

}  // namespace
}  // namespace holdfast::dkim
