#include "web/request_target.hpp"

#include <gtest/gtest.h>

namespace holdfast::web {
namespace {

TEST(RequestTarget, PathsAreNormalised) {
    EXPECT_EQ(parse_target("/")->path, "/");
    EXPECT_EQ(parse_target("/a/./b//c/")->path, "/a/b/c");
    EXPECT_EQ(parse_target("/a/b/../c")->path, "/a/c");
    EXPECT_EQ(parse_target("/static/%73tyle.css")->path, "/static/style.css");
    EXPECT_EQ(parse_target("/x#frag")->path, "/x#frag");  // a fragment never reaches a server
}

TEST(RequestTarget, TraversalAndTricksAreRefused) {
    EXPECT_FALSE(parse_target("/.."));
    EXPECT_FALSE(parse_target("/../etc/passwd"));
    EXPECT_FALSE(parse_target("/static/../../etc/passwd"));
    EXPECT_FALSE(parse_target("/static/%2e%2e/%2e%2e/etc/passwd"));
    EXPECT_FALSE(parse_target("/static/..%5c..%5cwin.ini"));
    EXPECT_FALSE(parse_target("/a%00b"));
    EXPECT_FALSE(parse_target("/a%0d%0aSet-Cookie:x"));
    EXPECT_FALSE(parse_target("/%ff"));     // not UTF-8
    EXPECT_FALSE(parse_target("/%c0%ae"));  // overlong "."
    EXPECT_FALSE(parse_target("/%"));
    EXPECT_FALSE(parse_target("/%4"));
    EXPECT_FALSE(parse_target("/%zz"));
    EXPECT_FALSE(parse_target("http://example.org/"));
    EXPECT_FALSE(parse_target(""));
    EXPECT_FALSE(parse_target("*"));
}

TEST(RequestTarget, QueryIsDecoded) {
    auto t = parse_target("/rbl?q=127.0.0.2&x=a+b%21&q=second&&empty=");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/rbl");
    EXPECT_EQ(t->query.at("q"), "127.0.0.2");
    EXPECT_EQ(t->query.at("x"), "a b!");
    EXPECT_EQ(t->query.at("empty"), "");
    EXPECT_EQ(parse_target("/rbl?q=caf%C3%A9.example")->query.at("q"), "café.example");
}

TEST(RequestTarget, QueryWithControlsOrBadUtf8IsRefused) {
    EXPECT_FALSE(parse_target("/rbl?q=a%0d%0aLocation:%20x"));
    EXPECT_FALSE(parse_target("/rbl?q=%ff%fe"));
    EXPECT_FALSE(parse_target("/rbl?q=%"));
    EXPECT_TRUE(parse_target("/rbl?q=a%09b"));  // a tab is text
}

TEST(RequestTarget, Forms) {
    auto f = parse_form("address=mail.example.test%3A2525&go=");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->at("address"), "mail.example.test:2525");
    EXPECT_FALSE(parse_form("address=%ZZ"));
    EXPECT_FALSE(parse_form("address=%ED%A0%80"));  // a UTF-16 surrogate
    EXPECT_TRUE(parse_form("")->empty());
}

TEST(RequestTarget, Utf8) {
    EXPECT_TRUE(valid_utf8("plain"));
    EXPECT_TRUE(valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    EXPECT_FALSE(valid_utf8("\xc3"));
    EXPECT_FALSE(valid_utf8("\xe2\x82"));
    EXPECT_FALSE(valid_utf8("\xc1\xbf"));
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(valid_utf8("\x80"));
}

TEST(RequestTarget, UrlEncodeRoundTrips) {
    std::string all;
    for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
    EXPECT_EQ(url_encode("a b/c"), "a%20b%2Fc");
    auto back = parse_form("k=" + url_encode("x y&z=1"));
    EXPECT_EQ(back->at("k"), "x y&z=1");
}

}  // namespace
}  // namespace holdfast::web
