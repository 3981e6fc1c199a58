#include "policy/recipient_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "policy/recipient_policy.hpp"
#include "queue/test_dir.hpp"
#include "smtp/protocol/command.hpp"

using namespace holdfast;
using namespace holdfast::policy;
using namespace std::chrono_literals;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST(RecipientFileParse, LocalPartsAddressesCommentsAndBlankLines) {
    std::vector<RecipientFileError> errors;
    auto r = parse_recipient_file(
        "# customers of customer.test\n"
        "alice\n"
        "\n"
        "   Bob@Customer.TEST   # full address, any case\r\n"
        "car#ol\n"
        "\tdave # trailing comment\n",
        "customer.test", errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(r, (std::set<std::string>{"alice", "bob", "car#ol", "dave"}));
}

TEST(RecipientFileParse, MalformedLinesAreReportedWithTheirNumber) {
    std::vector<RecipientFileError> errors;
    auto r = parse_recipient_file(
        "alice\n"
        "two words\n"
        "@customer.test\n"
        "eve@other.test\n"
        "frank@\n"
        "ctl\x01x\n"
        "grace\n",
        "customer.test", errors);
    EXPECT_EQ(r, (std::set<std::string>{"alice", "grace"}));
    ASSERT_EQ(errors.size(), 5u);
    EXPECT_EQ(errors[0].line, 2u);
    EXPECT_EQ(errors[1].line, 3u);
    EXPECT_EQ(errors[2].line, 4u);
    EXPECT_NE(errors[2].message.find("not in the domain customer.test"), std::string::npos);
    EXPECT_EQ(errors[3].line, 5u);
    EXPECT_EQ(errors[4].line, 6u);
}

TEST(RecipientFileParse, EmptyAndHostileInputs) {
    std::vector<RecipientFileError> errors;
    EXPECT_TRUE(parse_recipient_file("", "c.test", errors).empty());
    EXPECT_TRUE(parse_recipient_file("\n\n#\n  # x\n", "c.test", errors).empty());
    EXPECT_TRUE(errors.empty());
    std::string nul("a\0b\n", 4);
    parse_recipient_file(nul, "c.test", errors);
    EXPECT_EQ(errors.size(), 1u);
    std::string big(100000, 'x');
    errors.clear();
    EXPECT_EQ(parse_recipient_file(big, "c.test", errors).size(), 1u);
    EXPECT_TRUE(errors.empty());
}

TEST(RecipientFile, RereadWhenChangedAtMostOnceASecond) {
    queue::testing::TestDir dir;
    auto path = dir.path() / "recipients";
    write(path, "alice\n");
    std::vector<RecipientFileError> errors;
    RecipientFile f(path.string(), "customer.test", errors);
    ASSERT_TRUE(errors.empty());
    auto t0 = RecipientFile::Clock::now();
    EXPECT_TRUE(f.contains("ALICE", t0));
    EXPECT_FALSE(f.contains("bob", t0));

    write(path, "alice\nbob\n");
    // Within the second after the last look, the old list still answers.
    EXPECT_FALSE(f.contains("bob", t0 + 100ms));
    EXPECT_TRUE(f.contains("bob", t0 + 2s));
    EXPECT_EQ(f.size(), 2u);
}

TEST(RecipientFile, AnUnreadableOrBrokenFileKeepsTheLastGoodList) {
    queue::testing::TestDir dir;
    auto path = dir.path() / "recipients";
    write(path, "alice\n");
    std::vector<RecipientFileError> errors;
    RecipientFile f(path.string(), "customer.test", errors);
    auto t = RecipientFile::Clock::now();
    std::filesystem::remove(path);
    EXPECT_TRUE(f.contains("alice", t += 2s));
    write(path, "alice\nbob carol\n");  // half-edited: a malformed line
    EXPECT_TRUE(f.contains("alice", t += 2s));
    EXPECT_FALSE(f.contains("bob", t));
    write(path, "bob\n");
    EXPECT_TRUE(f.contains("bob", t += 2s));
    EXPECT_FALSE(f.contains("alice", t));
}

TEST(RecipientFile, MissingAtStartIsAnError) {
    std::vector<RecipientFileError> errors;
    RecipientFile f("/nonexistent/holdfast/recipients", "customer.test", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].line, 0u);
    EXPECT_FALSE(f.contains("alice"));
}

TEST(RecipientFile, DecidesForItsBackupDomain) {
    queue::testing::TestDir dir;
    auto path = dir.path() / "recipients";
    write(path, "alice\n");
    auto loaded = config::load_string(R"(
[server]
hostname = "mx.ourhost.test"
[[listen]]
address = "127.0.0.1:2525"
[[backup]]
domain = "customer.test"
recipients_file = ")" + path.string() + R"("
verify = true
)",
                                      "test.toml");
    ASSERT_TRUE(loaded.config);
    // Not handed a loaded file: the policy loads it itself.
    RecipientPolicy policy(*loaded.config);
    Client outsider{*util::parse_ip("192.0.2.1"), *util::parse_ip("127.0.0.1"), false};
    auto rcpt = [](const char* a) { return smtp::parse_command(a).command->address; };
    auto d = policy.decide(rcpt("RCPT TO:<alice@customer.test>"), outsider);
    EXPECT_EQ(d.destination, Destination::backup);
    EXPECT_EQ(d.backup, BackupCheck::file);
    d = policy.decide(rcpt("RCPT TO:<mallory@customer.test>"), outsider);
    EXPECT_EQ(d.destination, Destination::refused);
    EXPECT_EQ(d.reply.code, 550);
    EXPECT_EQ(d.reply.enhanced, "5.1.1");
    EXPECT_EQ(d.backup, BackupCheck::file);
    d = policy.decide(rcpt("RCPT TO:<postmaster@customer.test>"), outsider);
    EXPECT_EQ(d.backup, BackupCheck::postmaster);
}
