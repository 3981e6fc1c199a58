// The generated notice is parsed back, part by part and field by field, the
// way a receiving MUA would.
#include "dsn/dsn.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace holdfast::dsn;
using namespace std::chrono_literals;

namespace {

struct Part {
    std::multimap<std::string, std::string> headers;
    std::string body;
};

std::string_view cut_at(std::string_view& s, std::string_view sep) {
    auto i = s.find(sep);
    std::string_view head = s.substr(0, i);
    s = i == std::string_view::npos ? std::string_view{} : s.substr(i + sep.size());
    return head;
}

// Headers (with folded lines joined) and body of one entity.
Part parse_entity(std::string_view text) {
    Part p;
    std::string_view head = cut_at(text, "\r\n\r\n");
    p.body = std::string(text);
    std::string unfolded;
    for (char c : head) unfolded += c;
    std::string joined;
    for (std::size_t i = 0; i < unfolded.size(); ++i) {
        if (unfolded.compare(i, 3, "\r\n\t") == 0 || unfolded.compare(i, 3, "\r\n ") == 0) {
            joined += ' ';
            i += 2;
        } else {
            joined += unfolded[i];
        }
    }
    std::string_view rest = joined;
    while (!rest.empty()) {
        std::string_view line = cut_at(rest, "\r\n");
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        p.headers.emplace(std::string(line.substr(0, colon)), std::string(value));
    }
    return p;
}

std::vector<Part> parts(const std::string& body, const std::string& boundary) {
    std::vector<Part> out;
    std::string delim = "\r\n--" + boundary;
    std::string_view rest = body;
    cut_at(rest, "--" + boundary + "\r\n");  // the preamble
    while (!rest.empty()) {
        std::string_view part = cut_at(rest, delim);
        out.push_back(parse_entity(part));
        if (rest.starts_with("--")) break;  // the close delimiter
        rest.remove_prefix(2);              // CRLF after the delimiter
    }
    return out;
}

// The blocks of a message/delivery-status body: per-message, then per recipient.
std::vector<std::map<std::string, std::string>> status_blocks(std::string_view body) {
    std::vector<std::map<std::string, std::string>> out(1);
    while (!body.empty()) {
        std::string_view line = cut_at(body, "\r\n");
        if (line.empty()) {
            if (!out.back().empty()) out.emplace_back();
            continue;
        }
        auto colon = line.find(':');
        out.back()[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
    }
    if (out.back().empty()) out.pop_back();
    return out;
}

const auto kArrival = std::chrono::system_clock::from_time_t(1795000000);  // 2026-11-18

Report sample() {
    Report r;
    r.reporting_mta = "backup.isp.test";
    r.queue_id = "Q123";
    r.original_sender = "sender@origin.test";
    r.arrival = kArrival;
    r.now = kArrival + 2h;
    r.boundary = "BOUNDARY";
    r.original = "From: sender@origin.test\r\nSubject: hello\r\n\r\nsecret body\r\n";
    RecipientStatus failed;
    failed.final_recipient = "nobody@customer.test";
    failed.action = Action::failed;
    failed.status = "5.1.1";
    failed.remote_mta = "mx.customer.test";
    failed.diagnostic = "550 5.1.1 <nobody@customer.test>: no such user";
    failed.smtp_reply = true;
    failed.last_attempt = kArrival + 1h;
    r.recipients.push_back(failed);
    return r;
}

}  // namespace

TEST(Dsn, BounceHasTheThreeParts) {
    std::string m = build(sample());
    Part top = parse_entity(m);
    EXPECT_EQ(top.headers.find("From")->second,
              "Mail Delivery System <MAILER-DAEMON@backup.isp.test>");
    EXPECT_EQ(top.headers.find("To")->second, "<sender@origin.test>");
    EXPECT_EQ(top.headers.find("Auto-Submitted")->second, "auto-replied");
    EXPECT_EQ(top.headers.find("Date")->second, rfc5322_date(kArrival + 2h));
    EXPECT_EQ(top.headers.find("Content-Type")->second,
              "multipart/report; report-type=delivery-status; boundary=\"BOUNDARY\"");
    auto p = parts(top.body, "BOUNDARY");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0].headers.find("Content-Type")->second, "text/plain; charset=us-ascii");
    EXPECT_NE(p[0].body.find("could not be delivered"), std::string::npos);
    EXPECT_NE(p[0].body.find("<nobody@customer.test>: 550 5.1.1"), std::string::npos);
    EXPECT_EQ(p[1].headers.find("Content-Type")->second, "message/delivery-status");
    EXPECT_EQ(p[2].headers.find("Content-Type")->second, "text/rfc822-headers");
    EXPECT_EQ(p[2].body, "From: sender@origin.test\r\nSubject: hello\r\n");
    EXPECT_EQ(m.find("secret body"), std::string::npos);  // headers only by default

    auto blocks = status_blocks(p[1].body);
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0]["Reporting-MTA"], "dns; backup.isp.test");
    EXPECT_EQ(blocks[0]["Arrival-Date"], rfc5322_date(kArrival));
    EXPECT_EQ(blocks[1]["Final-Recipient"], "rfc822; nobody@customer.test");
    EXPECT_EQ(blocks[1]["Action"], "failed");
    EXPECT_EQ(blocks[1]["Status"], "5.1.1");
    EXPECT_EQ(blocks[1]["Remote-MTA"], "dns; mx.customer.test");
    EXPECT_EQ(blocks[1]["Diagnostic-Code"], "smtp; 550 5.1.1 <nobody@customer.test>: no such user");
    EXPECT_EQ(blocks[1]["Last-Attempt-Date"], rfc5322_date(kArrival + 1h));
    EXPECT_EQ(blocks[1].count("Will-Retry-Until"), 0u);
}

TEST(Dsn, DelayNoticeSaysUntilWhen) {
    Report r = sample();
    r.recipients[0].action = Action::delayed;
    r.recipients[0].status = "4.4.1";
    r.recipients[0].remote_mta.clear();
    r.recipients[0].smtp_reply = false;
    r.recipients[0].diagnostic = "connect to mx.customer.test[192.0.2.1]:25: Connection refused";
    r.recipients[0].will_retry_until = kArrival + 7 * 24h;
    std::string m = build(r);
    Part top = parse_entity(m);
    EXPECT_EQ(top.headers.find("Subject")->second, "Delayed Mail (still being retried)");
    auto p = parts(top.body, "BOUNDARY");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_NE(p[0].body.find("do not need to send"), std::string::npos);
    auto blocks = status_blocks(p[1].body);
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[1]["Action"], "delayed");
    EXPECT_EQ(blocks[1]["Will-Retry-Until"], rfc5322_date(kArrival + 7 * 24h));
    EXPECT_EQ(blocks[1].count("Remote-MTA"), 0u);
    EXPECT_EQ(blocks[1]["Diagnostic-Code"],
              "X-Holdfast; connect to mx.customer.test[192.0.2.1]:25: Connection refused");
}

TEST(Dsn, SeveralRecipientsAndFullReturn) {
    Report r = sample();
    r.return_full = true;
    r.envelope_id = "ENV42";
    RecipientStatus second = r.recipients[0];
    second.final_recipient = "other@customer.test";
    second.original_recipient = "Other@Customer.test";
    r.recipients.push_back(second);
    Part top = parse_entity(build(r));
    auto p = parts(top.body, "BOUNDARY");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[2].headers.find("Content-Type")->second, "message/rfc822");
    EXPECT_NE(p[2].body.find("secret body"), std::string::npos);
    auto blocks = status_blocks(p[1].body);
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0]["Original-Envelope-Id"], "ENV42");
    EXPECT_EQ(blocks[2]["Final-Recipient"], "rfc822; other@customer.test");
    EXPECT_EQ(blocks[2]["Original-Recipient"], "rfc822; Other@Customer.test");
}

TEST(Dsn, OriginalRecipientKeepsItsAddressType) {
    Report r = sample();
    r.recipients[0].original_recipient_type = "utf-8";
    r.recipients[0].original_recipient = "alice@customer.test";
    auto blocks = status_blocks(parts(parse_entity(build(r)).body, "BOUNDARY")[1].body);
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[1]["Original-Recipient"], "utf-8; alice@customer.test");
}

TEST(Dsn, HostileDiagnosticCannotBreakTheStructure) {
    Report r = sample();
    r.recipients[0].diagnostic = "550 bad\r\n--BOUNDARY\r\nX-Injected: yes";
    std::string m = build(r);
    EXPECT_EQ(m.find("\r\nX-Injected"), std::string::npos);
    EXPECT_EQ(parts(parse_entity(m).body, "BOUNDARY").size(), 3u);
}

TEST(Dsn, NeverBounceABounce) {
    EXPECT_FALSE(may_notify(""));
    EXPECT_TRUE(may_notify("sender@origin.test"));
}

TEST(Dsn, HeaderSection) {
    EXPECT_EQ(header_section("A: 1\r\nB: 2\r\n\r\nbody"), "A: 1\r\nB: 2\r\n");
    EXPECT_EQ(header_section("A: 1\nB: 2\n\nbody"), "A: 1\nB: 2\n");
    EXPECT_EQ(header_section("A: 1\r\n"), "A: 1\r\n");
}

TEST(Dsn, DateFormat) {
    EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(0)),
              "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(Dsn, Smtputf8MessageGetsTheGlobalFormats) {
    Report r = sample();
    r.original_sender = "j\xc3\xb6rg@origin.test";
    r.recipients[0].final_recipient =
        "b\xc3\xa9"
        "a@customer.test";
    r.original =
        "From: j\xc3\xb6rg@origin.test\r\nSubject: gr\xc3\xbc\xc3\x9f"
        "e\r\n\r\nbody\r\n";
    ASSERT_TRUE(needs_utf8(r));
    r.utf8 = true;
    std::string m = build(r);
    Part top = parse_entity(m);
    EXPECT_EQ(top.headers.find("To")->second, "<j\xc3\xb6rg@origin.test>");
    auto p = parts(top.body, "BOUNDARY");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0].headers.find("Content-Type")->second, "text/plain; charset=utf-8");
    EXPECT_EQ(p[1].headers.find("Content-Type")->second, "message/global-delivery-status");
    EXPECT_EQ(p[1].headers.find("Content-Transfer-Encoding")->second, "8bit");
    EXPECT_EQ(p[2].headers.find("Content-Type")->second, "message/global-headers");
    EXPECT_EQ(p[2].body,
              "From: j\xc3\xb6rg@origin.test\r\nSubject: gr\xc3\xbc\xc3\x9f"
              "e\r\n");
    auto blocks = status_blocks(p[1].body);
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[1]["Final-Recipient"],
              "utf-8; b\xc3\xa9"
              "a@customer.test");

    r.return_full = true;
    p = parts(parse_entity(build(r)).body, "BOUNDARY");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[2].headers.find("Content-Type")->second, "message/global");
}

TEST(Dsn, AsciiNoticeStaysInTheRfc3464Formats) {
    Report r = sample();
    EXPECT_FALSE(needs_utf8(r));
    std::string m = build(r);
    EXPECT_EQ(m.find("global"), std::string::npos);
}
