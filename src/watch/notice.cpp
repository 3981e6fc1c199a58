#include "watch/notice.hpp"

#include <fmt/format.h>

#include <ctime>

namespace holdfast::watch {
namespace {

std::string money(long charge) {
    return charge == 0 ? "no charge (first violation)" : fmt::format("${}", charge);
}

std::string utc(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const char* kHowToClose =
    "How to close the relay:\n"
    "  * relay only for your own networks and for users who authenticate (SMTP AUTH\n"
    "    over TLS); refuse every other recipient outside your domains with\n"
    "    \"550 5.7.1 relaying denied\";\n"
    "  * Postfix: mynetworks = your LAN only, and smtpd_relay_restrictions =\n"
    "    permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination;\n"
    "  * Exim: relay_from_hosts = your LAN; Sendmail: no \"promiscuous_relay\" and\n"
    "    no broad entries in the access map; Exchange: no anonymous relay connector;\n"
    "  * turn off the percent hack (allow_percent_hack = no) and bang paths\n"
    "    (swap_bangpath = no) if you do not need them;\n"
    "  * after every upgrade or patch, test again: closed relays often become open\n"
    "    after system patching.\n";

}  // namespace

NoticeText violation_notice(const store::Customer& c, const store::Violation& v,
                            const relaytest::Report& report, std::size_t number) {
    NoticeText n;
    n.subject =
        fmt::format("Open relay found on your mail server {} (violation {})", v.target, v.id);
    std::string b;
    b += fmt::format("Dear {} administrator,\n\n", c.name);
    b += fmt::format(
        "our open-relay test of your mail server {} at {} found that it relays mail for\n"
        "outside users. Spammers find such servers within hours; the server's address then\n"
        "ends up on blacklists and your own mail is refused.\n\n",
        v.target, utc(v.found));
    b += fmt::format(
        "Customer:   {}\nViolation:  {} (number {} for this customer)\nCharge:     {}\n", c.name,
        v.id, number, money(v.charge));
    b += fmt::format("Relay test: {}\nVerdict:    {}: {}\n\n", v.test,
                     relaytest::to_string(report.verdict), report.reason);
    b += "Vectors your server relayed:\n";
    for (const auto& r : report.vectors) {
        if (r.result != relaytest::Result::relayed) continue;
        b += fmt::format("  {:<4} MAIL FROM:{} RCPT TO:{}{}\n       -> {}\n", r.id, r.mail_from,
                         r.rcpt_to, r.tls ? " (inside STARTTLS)" : "", r.reply);
    }
    b += "\n";
    b += kHowToClose;
    b += "\nWe test the server again regularly; when a test finds it closed, this violation\n"
         "is resolved and you hear from us. Later violations cost more; a server that\n"
         "stays open can get the backup MX service suspended.\n";
    if (report.has_transcript) {
        b += "\nTranscript of the test:\n\n";
        b += to_text(report);
    }
    n.body = std::move(b);
    return n;
}

NoticeText resolved_notice(const store::Customer& c, const store::Violation& v,
                           const std::string& how) {
    NoticeText n;
    n.subject = fmt::format("Open relay closed: {} (violation {} resolved)", v.target, v.id);
    n.body = fmt::format(
        "Dear {} administrator,\n\n{}\n\nViolation {} (found {}, charge {}) is resolved.\n"
        "Thank you.\n",
        c.name, how, v.id, utc(v.found), money(v.charge));
    return n;
}

NoticeText listed_notice(const std::string& customer, const std::string& target,
                         const std::string& zone, const std::vector<std::string>& codes,
                         const std::string& txt) {
    NoticeText n;
    n.subject = fmt::format("Blacklisted: {} is listed on {}", target, zone);
    std::string codes_text;
    for (const auto& c : codes) codes_text += (codes_text.empty() ? "" : ", ") + c;
    n.body = fmt::format(
        "Dear {} administrator,\n\nyour mail server's address {} is listed on the DNS blacklist "
        "{}\n(answer {}){}.\n\nMail from a listed address is refused by many receivers; you "
        "are not usually\nnotified about being blacklisted, which is why we check. Find and fix "
        "the cause\n(an open relay, an infected machine, a compromised account), then ask the "
        "list's\noperator to delist the address. We tell you when the listing is gone.\n",
        customer.empty() ? "postmaster" : customer, target, zone, codes_text,
        txt.empty() ? "" : ":\n  " + txt);
    return n;
}

NoticeText delisted_notice(const std::string& customer, const std::string& target,
                           const std::string& zone) {
    NoticeText n;
    n.subject = fmt::format("Delisted: {} is no longer listed on {}", target, zone);
    n.body = fmt::format(
        "Dear {} administrator,\n\nyour mail server's address {} is no longer listed on {}.\n",
        customer.empty() ? "postmaster" : customer, target, zone);
    return n;
}

std::string compose(const std::string& from, const std::vector<std::string>& to,
                    const NoticeText& n, const std::string& hostname, const std::string& id,
                    std::chrono::system_clock::time_point now) {
    std::time_t tt = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string to_line;
    for (const auto& t : to) to_line += (to_line.empty() ? "" : ", ") + t;
    std::string m;
    m += "From: Holdfast watch <" + from + ">\r\n";
    m += "To: " + to_line + "\r\n";
    m += "Subject: " + n.subject + "\r\n";
    m += std::string("Date: ") + date + "\r\n";
    m += "Message-ID: <" + id + "@" + hostname + ">\r\n";
    m += "Auto-Submitted: auto-generated\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: 8bit\r\n\r\n";
    std::size_t start = 0;
    while (start <= n.body.size()) {
        std::size_t end = n.body.find('\n', start);
        std::string line =
            n.body.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        while (line.size() > 990) {
            m += line.substr(0, 990) + "\r\n";
            line = line.substr(990);
        }
        m += line + "\r\n";
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return m;
}

}  // namespace holdfast::watch
