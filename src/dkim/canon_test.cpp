#include "dkim/canon.hpp"

#include <gtest/gtest.h>

namespace holdfast::dkim {
namespace {

std::string body(std::string_view in, std::size_t piece = 1 << 20) {
    std::string out;
    RelaxedBody b([&](std::string_view s) { out += s; });
    for (std::size_t i = 0; i < in.size(); i += piece) b.feed(in.substr(i, piece));
    b.finish();
    return out;
}

// RFC 6376 3.4.5, the relaxed examples.
TEST(RelaxedHeader, Rfc6376Example) {
    EXPECT_EQ(relaxed_header("A: X\r\n"), "a:X\r\n");
    EXPECT_EQ(relaxed_header("B : Y\t\r\n\tZ  \r\n"), "b:Y Z\r\n");
}

TEST(RelaxedHeader, MalformedFieldsDoNotCrash) {
    EXPECT_EQ(relaxed_header(""), ":\r\n");
    EXPECT_EQ(relaxed_header("NoColon"), "nocolon:\r\n");
    EXPECT_EQ(relaxed_header("X:"), "x:\r\n");
    EXPECT_EQ(relaxed_header("X:\r\n \r\n "), "x:\r\n");
}

TEST(RelaxedBody, Rfc6376Example) {
    EXPECT_EQ(body(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
}

TEST(RelaxedBody, SameResultWhateverThePieces) {
    std::string in = "a  b \t\r\n\r\n \r\nc\r\r\nd\r\n\r\n";
    std::string whole = body(in);
    for (std::size_t p = 1; p < 6; ++p) EXPECT_EQ(body(in, p), whole) << p;
    EXPECT_EQ(whole, "a b\r\n\r\n\r\nc\r\r\nd\r\n");
}

TEST(RelaxedBody, EmptyAndBlankBodies) {
    EXPECT_EQ(body(""), "");
    EXPECT_EQ(body("\r\n\r\n"), "");
    EXPECT_EQ(body("  \r\n\t\r\n"), "");
    EXPECT_EQ(body("x"), "x\r\n");  // a missing final CRLF is added
    EXPECT_EQ(body("x\r"), "x\r\r\n");
}

}  // namespace
}  // namespace holdfast::dkim

namespace holdfast::dkim {
namespace {

TEST(WithoutBValue, EmptiesOnlyTheBTag) {
    EXPECT_EQ(without_b_value("DKIM-Signature: v=1; bh=abc; b=xy\r\n\t z; d=x"),
              "DKIM-Signature: v=1; bh=abc; b=; d=x");
    EXPECT_EQ(without_b_value("DKIM-Signature: b = xyz"), "DKIM-Signature: b =");
    EXPECT_EQ(without_b_value("DKIM-Signature: bh=1;\r\n b=2"), "DKIM-Signature: bh=1;\r\n b=");
    EXPECT_EQ(without_b_value("no colon"), "no colon");
    EXPECT_EQ(without_b_value("X:;;b"), "X:;;b");
}

}  // namespace
}  // namespace holdfast::dkim
