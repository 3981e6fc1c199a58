#include "delivery/maildir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "queue/test_dir.hpp"

using namespace holdfast::delivery;
using holdfast::queue::testing::TestDir;
namespace fs = std::filesystem;

namespace {
std::vector<fs::path> files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
}
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST(Maildir, WritesExactBytesWithTwoHeadersIntoNew) {
    TestDir dir;
    fs::path md = dir.path() / "mail" / "alice";
    std::string msg = "Received: from x\r\nSubject: hi\r\n\r\nbody \xe2\x82\xac\r\n.\r\n";
    ASSERT_FALSE(deliver_to_maildir(md, msg, "bob@example.org", "alice@example.test"));
    ASSERT_FALSE(deliver_to_maildir(md, msg, "", "alice@example.test"));
    EXPECT_TRUE(fs::is_directory(md / "cur"));
    EXPECT_TRUE(files(md / "tmp").empty());
    auto delivered = files(md / "new");
    ASSERT_EQ(delivered.size(), 2u);
    std::vector<std::string> texts = {slurp(delivered[0]), slurp(delivered[1])};
    std::sort(texts.begin(), texts.end());
    EXPECT_EQ(texts[0], "Return-Path: <>\r\nDelivered-To: alice@example.test\r\n" + msg);
    EXPECT_EQ(texts[1],
              "Return-Path: <bob@example.org>\r\nDelivered-To: alice@example.test\r\n" + msg);
    // The name carries the size, as Maildir readers expect.
    std::string name = delivered[0].filename().string();
    EXPECT_NE(name.find(",S="), std::string::npos);
    EXPECT_EQ(name.find('/'), std::string::npos);
}

TEST(Maildir, ReportsErrorsInsteadOfThrowing) {
    TestDir dir;
    std::ofstream(dir.path() / "file") << "x";
    EXPECT_TRUE(deliver_to_maildir(dir.path() / "file" / "md", "m", "", "a@b"));
}

TEST(Maildir, ExpandsTemplateSafely) {
    EXPECT_EQ(expand_maildir("var/mail/%d/%u", "Alice", "Example.TEST"),
              fs::path("var/mail/example.test/alice"));
    EXPECT_EQ(expand_maildir("/srv/%u/Maildir/%%", "bob", "x.test"),
              fs::path("/srv/bob/Maildir/%"));
    EXPECT_TRUE(expand_maildir("m/%u", "..", "x.test").empty());
    EXPECT_TRUE(expand_maildir("m/%u", "a/../../b", "x.test").empty());
    EXPECT_TRUE(expand_maildir("m/%u", "", "x.test").empty());
    EXPECT_TRUE(expand_maildir("m/%d", "a", "..").empty());
}
