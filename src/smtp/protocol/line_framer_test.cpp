#include "smtp/protocol/line_framer.hpp"

#include <gtest/gtest.h>

#include <vector>

using holdfast::smtp::LineFramer;
using Mode = LineFramer::Mode;

namespace {
struct Got {
    std::string text;
    bool too_long, bare_lf_ending, bare_cr_or_lf, nul;
};
std::vector<Got> lines(LineFramer& f, std::string_view input) {
    f.feed(input);
    std::vector<Got> out;
    while (auto l = f.next()) {
        out.push_back(
            {std::string(l->text), l->too_long, l->bare_lf_ending, l->bare_cr_or_lf, l->nul});
    }
    return out;
}
}  // namespace

TEST(LineFramer, SplitsOnCrlfAcrossReads) {
    LineFramer f(1000);
    EXPECT_TRUE(lines(f, "EHLO a").empty());
    EXPECT_TRUE(lines(f, "\r").empty());
    auto got = lines(f, "\nNOOP\r\nQU");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].text, "EHLO a");
    EXPECT_EQ(got[1].text, "NOOP");
    EXPECT_EQ(f.buffered(), 2u);
}

TEST(LineFramer, CommandModeBareLfEndsTheLineButIsFlagged) {
    LineFramer f(1000);
    auto got = lines(f, "NOOP\nRSET\r\n");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[0].bare_lf_ending);
    EXPECT_FALSE(got[1].bare_lf_ending);
    got = lines(f, "NO\rOP\r\n");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].bare_cr_or_lf);
}

TEST(LineFramer, DataModeOnlyCrlfEndsALine) {
    // The smuggling sequences: none of them may produce a "." line.
    for (std::string_view evil : {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n"}) {
        LineFramer f(1000);
        f.set_mode(Mode::data);
        std::string input = "text" + std::string(evil) + "MAIL FROM:<x@y.test>\r\n";
        for (const auto& l : lines(f, input)) {
            EXPECT_NE(l.text, ".") << "sequence " << testing::PrintToString(std::string(evil));
        }
    }
    LineFramer f(1000);
    f.set_mode(Mode::data);
    auto got = lines(f, "a\nb\r\n.\r\n");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].text, "a\nb");
    EXPECT_TRUE(got[0].bare_cr_or_lf);
    EXPECT_EQ(got[1].text, ".");
}

TEST(LineFramer, LineLimitCountsTheCrlf) {
    LineFramer f(1000);
    auto got = lines(f, std::string(998, 'a') + "\r\n" + std::string(999, 'b') + "\r\nNOOP\r\n");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_FALSE(got[0].too_long);
    EXPECT_EQ(got[0].text.size(), 998u);
    EXPECT_TRUE(got[1].too_long);
    EXPECT_EQ(got[2].text, "NOOP");
}

TEST(LineFramer, HugeLineIsDiscardedWithBoundedMemory) {
    LineFramer f(1000);
    std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 32; ++i) {  // 2 MiB without a line end
        EXPECT_TRUE(lines(f, chunk).empty());
        EXPECT_LT(f.buffered(), 70u * 1024);
    }
    auto got = lines(f, "tail\r\nNOOP\r\n");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[0].too_long);
    EXPECT_EQ(got[1].text, "NOOP");
}

TEST(LineFramer, CrAtChunkBoundaryOfOverlongLine) {
    LineFramer f(10);
    EXPECT_TRUE(lines(f, std::string(20, 'x') + "\r").empty());
    auto got = lines(f, "\nok\r\n");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_TRUE(got[0].too_long);
    EXPECT_EQ(got[1].text, "ok");
}

TEST(LineFramer, NulIsFlagged) {
    LineFramer f(1000);
    auto got = lines(f, std::string("NO\0OP\r\n", 7));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].nul);
}

TEST(LineFramer, DiscardBufferedDropsPipelinedBytes) {
    LineFramer f(1000);
    auto got = lines(f, "STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n");
    f.discard_buffered();
    EXPECT_EQ(f.buffered(), 0u);
    EXPECT_FALSE(f.next());
}
