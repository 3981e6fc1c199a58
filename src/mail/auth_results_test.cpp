#include "mail/auth_results.hpp"

#include <gtest/gtest.h>

namespace holdfast::mail {
namespace {

TEST(AuthResults, IdSkipsCommentsAndStopsAtSemicolon) {
    EXPECT_EQ(auth_results_id(" mx.example.test; spf=pass"), "mx.example.test");
    EXPECT_EQ(auth_results_id(" (a (nested) comment) MX.Example.Test 1; none"), "MX.Example.Test");
    EXPECT_EQ(auth_results_id("\r\n\tmx.example.test;"), "mx.example.test");
    EXPECT_EQ(auth_results_id("mx.example.test(c); x"), "mx.example.test");
    EXPECT_EQ(auth_results_id(""), "");
    EXPECT_EQ(auth_results_id(" ; spf=pass"), "");
    EXPECT_EQ(auth_results_id(" (unclosed comment"), "");
    EXPECT_EQ(auth_results_id(" (escaped \\) paren) id;"), "id");
    // Found by the fuzzer: a comment ending in a lone backslash.
    EXPECT_EQ(auth_results_id("(\\\\X\\"), "");
    EXPECT_EQ(auth_results_id("(\\"), "");
}

TEST(AuthResults, SectionEnd) {
    EXPECT_EQ(header_section_end("A: b\r\n\r\nbody"), 8u);
    EXPECT_EQ(header_section_end("\r\nbody"), 2u);
    EXPECT_FALSE(header_section_end("A: b\r\nB: c\r\n"));
    EXPECT_FALSE(header_section_end(""));
}

TEST(AuthResults, RemovesOnlyFieldsWithOurId) {
    const std::string section =
        "Received: from x\r\n"
        "Authentication-Results: mx.example.test; dkim=pass\r\n"
        "  header.d=bank.test; dmarc=pass\r\n"
        "authentication-results : (forged) MX.EXAMPLE.TEST; spf=pass\r\n"
        "Authentication-Results: other.example; spf=fail\r\n"
        "Authentication-Results: mx.example.test.evil; spf=pass\r\n"
        "Subject: Authentication-Results: mx.example.test; x\r\n"
        "\r\n";
    auto out = without_auth_results_of(section, "mx.example.test");
    ASSERT_TRUE(out);
    EXPECT_EQ(*out,
              "Received: from x\r\n"
              "Authentication-Results: other.example; spf=fail\r\n"
              "Authentication-Results: mx.example.test.evil; spf=pass\r\n"
              "Subject: Authentication-Results: mx.example.test; x\r\n"
              "\r\n");
    EXPECT_FALSE(without_auth_results_of(*out, "mx.example.test"));
}

TEST(AuthResults, MalformedSectionsDoNotBreak) {
    EXPECT_FALSE(without_auth_results_of("", "mx.example.test"));
    EXPECT_FALSE(without_auth_results_of("no colon here\r\n\r\n", "mx.example.test"));
    EXPECT_FALSE(without_auth_results_of("Authentication-Results: mx.example.test", ""));
    // A last field without CRLF, a field that is only folding.
    auto out = without_auth_results_of(" folded\r\nAuthentication-Results:mx.example.test",
                                       "mx.example.test");
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, " folded\r\n");
}

}  // namespace
}  // namespace holdfast::mail
