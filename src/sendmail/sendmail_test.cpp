#include <gtest/gtest.h>

#include "sendmail/message.hpp"
#include "sendmail/options.hpp"

using namespace holdfast::sendmail;

namespace {

Options parsed(std::vector<std::string> args) {
    auto r = parse_options(args);
    EXPECT_EQ(r.error, "");
    return r.options;
}

std::string usage_error(std::vector<std::string> args) {
    return parse_options(args).error;
}

PrepareInput input(bool extract = true) {
    PrepareInput in;
    in.sender = "root@mx.example.test";
    in.extract = extract;
    in.domain = "mx.example.test";
    in.queue_id = "ABC123";
    in.now = std::chrono::system_clock::from_time_t(1796047697);
    return in;
}

}  // namespace

TEST(SendmailOptions, CommonCronAndPhpForms) {
    auto o = parsed({"-t", "-i"});
    EXPECT_TRUE(o.extract);
    EXPECT_FALSE(o.dot_ends);
    o = parsed({"-oi", "-f", "app@example.test", "-F", "The App", "--", "a@x.test", "b@x.test"});
    EXPECT_FALSE(o.dot_ends);
    EXPECT_TRUE(o.sender_set);
    EXPECT_EQ(o.sender, "app@example.test");
    EXPECT_EQ(o.full_name, "The App");
    EXPECT_EQ(o.recipients, (std::vector<std::string>{"a@x.test", "b@x.test"}));
    o = parsed({"-fapp@example.test", "-FApp", "a@x.test"});  // attached values
    EXPECT_EQ(o.sender, "app@example.test");
    EXPECT_EQ(o.full_name, "App");
    o = parsed({"-ti", "a@x.test"});  // grouped flags
    EXPECT_TRUE(o.extract);
    EXPECT_FALSE(o.dot_ends);
    EXPECT_TRUE(parsed({"-f", "<>", "a@x.test"}).sender.empty());
    EXPECT_EQ(parsed({"-f", "<u@x.test>", "a@x.test"}).sender, "u@x.test");
    EXPECT_EQ(parsed({"-r", "u@x.test", "a@x.test"}).sender, "u@x.test");
}

TEST(SendmailOptions, PostfixCompatibilityFlagsAreIgnored) {
    auto o = parsed({"-oem",    "-odb",     "-odi",    "-oQ/var/spool",
                     "-B",      "8BITMIME", "-N",      "never",
                     "-R",      "hdrs",     "-Venvid", "-v",
                     "-bm",     "-G",       "-U",      "-m",
                     "-n",      "-x",       "-h",      "30",
                     "-L",      "label",    "-O",      "x=y",
                     "-A",      "m",        "-X",      "/tmp/log",
                     "-e",      "m",        "-C",      "/etc/postfix",
                     "a@x.test"});
    EXPECT_EQ(o.mode, Mode::deliver);
    EXPECT_TRUE(o.dot_ends);
    EXPECT_EQ(o.recipients, (std::vector<std::string>{"a@x.test"}));
    EXPECT_FALSE(o.ignored.empty());
    EXPECT_EQ(parsed({"-bs"}).mode, Mode::smtp);
    EXPECT_EQ(parsed({"-bp"}).mode, Mode::print_queue);
}

TEST(SendmailOptions, UsageErrors) {
    EXPECT_NE(usage_error({}), "");                  // no recipients, no -t
    EXPECT_NE(usage_error({"-f"}), "");              // value missing
    EXPECT_NE(usage_error({"-k", "a@x.test"}), "");  // unknown flag
    EXPECT_NE(usage_error({"-bd"}), "");             // daemon mode: not ours
    EXPECT_NE(usage_error({"-bv", "a@x.test"}), "");
    EXPECT_NE(usage_error({"-I"}), "");
    EXPECT_EQ(usage_error({"-t"}), "");
    // After "--" everything is a recipient, even what looks like a flag.
    EXPECT_EQ(parsed({"--", "-t"}).recipients, (std::vector<std::string>{"-t"}));
}

TEST(SendmailAddressList, DisplayNamesCommentsQuotesAndGroups) {
    auto a = parse_address_list(
        R"( "Doe, John" <john@x.test>, plain@y.test (Plain Person), Team: c@z.test, )"
        R"(d@z.test;, undisclosed-recipients:;, <@r1,@r2:routed@x.test>, root)",
        "mx.example.test");
    EXPECT_EQ(a, (std::vector<std::string>{"john@x.test", "plain@y.test", "c@z.test", "d@z.test",
                                           "routed@x.test", "root@mx.example.test"}));
    EXPECT_EQ(parse_address_list(R"("quoted local"@x.test)", "d"),
              (std::vector<std::string>{R"("quoted local"@x.test)"}));
}

TEST(SendmailAddressList, MalformedPiecesAreSkippedNotGuessed) {
    EXPECT_TRUE(parse_address_list("", "d").empty());
    EXPECT_TRUE(parse_address_list("<unclosed@x.test", "d").empty());
    EXPECT_TRUE(parse_address_list("two words@x.test", "d").empty());
    EXPECT_TRUE(parse_address_list("\"unterminated@x.test", "d").empty());
    EXPECT_TRUE(parse_address_list("(unterminated comment a@x.test", "d").empty());
    EXPECT_EQ(parse_address_list(",,, a@x.test ,;", "d"), (std::vector<std::string>{"a@x.test"}));
    EXPECT_EQ(parse_address_list("a@x.test (comment (nested) still) , b@x.test", "d"),
              (std::vector<std::string>{"a@x.test", "b@x.test"}));
}

TEST(SendmailHeaders, FoldedHeadersAndBody) {
    auto h = parse_header_section("To: a@x.test,\r\n\tb@x.test\r\nSubject: s\r\n\r\nTo: no@x\r\n");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].name, "To");
    EXPECT_EQ(h[0].value, " a@x.test,\tb@x.test");
    // A line that is no field ends the header section.
    h = parse_header_section("Subject: s\nnot a header\nTo: x@y\n");
    EXPECT_EQ(h.size(), 1u);
    EXPECT_TRUE(parse_header_section(" leading continuation\nTo: x@y\n").empty());
}

TEST(SendmailPrepare, ExtractsRecipientsRemovesBccAddsMissingHeaders) {
    auto p = prepare(
        "To: a@x.test\nCc: Friends: b@x.test, c@x.test;\nBcc: hidden@x.test,\n  also@x.test\n"
        "Subject: cron\n\nline 1\n",
        input());
    EXPECT_EQ(p.recipients, (std::vector<std::string>{"a@x.test", "b@x.test", "c@x.test",
                                                      "hidden@x.test", "also@x.test"}));
    EXPECT_EQ(p.message.find("Bcc"), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find("also@x.test"), std::string::npos) << p.message;
    EXPECT_NE(p.message.find("To: a@x.test\r\n"), std::string::npos);
    EXPECT_NE(p.message.find("From: root@mx.example.test\r\n"), std::string::npos);
    EXPECT_NE(p.message.find("Date: "), std::string::npos);
    EXPECT_NE(p.message.find("Message-ID: <ABC123@mx.example.test>\r\n"), std::string::npos);
    EXPECT_TRUE(p.message.ends_with("\r\n\r\nline 1\r\n")) << p.message;
}

TEST(SendmailPrepare, KeepsWhatIsThereAndQuotesTheFullName) {
    auto in = input(false);
    in.full_name = "Cron \"Daemon\"";
    auto p = prepare("Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nhi", in);
    EXPECT_TRUE(p.recipients.empty());  // no -t
    EXPECT_NE(p.message.find("From: \"Cron \\\"Daemon\\\"\" <root@mx.example.test>\r\n"),
              std::string::npos)
        << p.message;
    EXPECT_EQ(p.message.find("Date: Mon, 1 Jan 2024"), p.message.find("Date: "));
    EXPECT_EQ(p.message.find("Message-ID: <ABC"), std::string::npos);
    EXPECT_TRUE(p.message.ends_with("\r\n\r\nhi\r\n"));
}

TEST(SendmailPrepare, NoHeaderSectionAtAll) {
    auto p = prepare("just text\nmore\n", input());
    EXPECT_TRUE(p.recipients.empty());
    EXPECT_TRUE(p.message.starts_with("From: root@mx.example.test\r\nDate: ")) << p.message;
    EXPECT_NE(p.message.find("\r\n\r\njust text\r\nmore\r\n"), std::string::npos) << p.message;
    EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(0)),
              "Thu, 01 Jan 1970 00:00:00 +0000");
}
