#include "delivery/notice.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "mail/address.hpp"
#include "mail/queue_id.hpp"

namespace holdfast::delivery {

namespace {

queue::RecipientKind kind_for(const std::string& address, const NoticeSettings& s) {
    auto a = mail::parse_mailbox(address, true);
    std::string domain = a ? mail::normalize_domain(a->domain) : "";
    auto has = [&](const std::vector<std::string>& v) {
        return std::any_of(v.begin(), v.end(),
                           [&](const auto& d) { return mail::normalize_domain(d) == domain; });
    };
    if (has(s.local_domains)) return queue::RecipientKind::local;
    if (has(s.backup_domains)) return queue::RecipientKind::backup;
    return queue::RecipientKind::relay;
}

const queue::Recipient* find_recipient(const queue::Envelope& env, const std::string& address) {
    for (const auto& r : env.recipients) {
        if (r.address == address) return &r;
    }
    return nullptr;
}

// Drops the recipients who asked not to hear about this (RFC 3461 4.1) and
// adds their ORCPT.
std::vector<dsn::RecipientStatus> wanted(const queue::Envelope& original,
                                         std::vector<dsn::RecipientStatus> recipients) {
    std::vector<dsn::RecipientStatus> out;
    for (auto& rs : recipients) {
        const queue::Recipient* r = find_recipient(original, rs.final_recipient);
        if (r) {
            bool delay = rs.action == dsn::Action::delayed;
            if (delay ? !r->notify.wants_delay() : !r->notify.wants_failure()) {
                spdlog::info("id={} to=<{}> status=no-notice notice={} reason=\"NOTIFY={}\"",
                             original.id, rs.final_recipient, delay ? "delay" : "bounce",
                             r->notify.is_never() ? "never" : mail::dsn_notify_name(r->notify));
                continue;
            }
            if (auto semi = r->orcpt.find(';'); semi != std::string::npos) {
                rs.original_recipient_type = r->orcpt.substr(0, semi);
                rs.original_recipient = r->orcpt.substr(semi + 1);
            }
        }
        out.push_back(std::move(rs));
    }
    return out;
}

}  // namespace

NoticeSettings notice_settings_from(const config::Config& c) {
    NoticeSettings s;
    s.hostname = c.server.hostname;
    for (const auto& l : c.locals) s.local_domains.push_back(l.domain);
    for (const auto& b : c.backups) s.backup_domains.push_back(b.domain);
    return s;
}

std::string queue_notice(queue::Spool& spool, const queue::Envelope& original,
                         std::string_view message, std::vector<dsn::RecipientStatus> recipients,
                         const NoticeSettings& settings, dsn::TimePoint now) {
    if (!dsn::may_notify(original.sender)) {
        for (const auto& r : recipients) {
            spdlog::warn(
                "id={} from=<> to=<{}> status=no-notice reason=\"a notice to the null "
                "sender is never sent\"",
                original.id, r.final_recipient);
        }
        return "";
    }
    recipients = wanted(original, std::move(recipients));
    if (recipients.empty()) return "";
    dsn::Report report;
    report.reporting_mta = settings.hostname;
    report.queue_id = original.id;
    report.envelope_id = original.envid;
    report.return_full = original.ret == mail::DsnReturn::full;
    report.original_sender = original.sender;
    report.arrival = original.arrival;
    report.recipients = std::move(recipients);
    report.original = message;
    report.now = now;
    // An SMTPUTF8 message's notice is internationalized when it has to be
    // (RFC 6533) and then goes out with SMTPUTF8 too.
    report.utf8 = original.smtputf8 && dsn::needs_utf8(report);
    bool delay = report.recipients.front().action == dsn::Action::delayed;

    queue::Envelope env;
    env.id = mail::new_queue_id(now);
    env.sender = "";
    env.recipients.push_back({original.sender,
                              kind_for(original.sender, settings),
                              queue::RecipientState::pending,
                              "",
                              {},
                              {}});
    env.arrival = now;
    env.client = "holdfast (delivery status notification)";
    env.smtputf8 = report.utf8;
    std::string id = env.id;
    std::string about = original.id;
    spool.store(std::move(env), dsn::build(report), [id, about](std::error_code ec) {
        if (ec) {
            spdlog::error("id={} status=notice-lost about={} error=\"{}\"", id, about,
                          ec.message());
        }
    });
    spdlog::info("id={} from=<> to=<{}> status=queued notice={} about={}", id, original.sender,
                 delay ? "delay" : "bounce", about);
    return id;
}

}  // namespace holdfast::delivery
