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
    if (!dsn::may_notify(original.sender) || recipients.empty()) {
        for (const auto& r : recipients) {
            spdlog::warn(
                "id={} from=<> to=<{}> status=no-notice reason=\"a notice to the null "
                "sender is never sent\"",
                original.id, r.final_recipient);
        }
        return "";
    }
    dsn::Report report;
    report.reporting_mta = settings.hostname;
    report.queue_id = original.id;
    report.original_sender = original.sender;
    report.arrival = original.arrival;
    report.recipients = std::move(recipients);
    report.original = message;
    report.now = now;
    bool delay = report.recipients.front().action == dsn::Action::delayed;

    queue::Envelope env;
    env.id = mail::new_queue_id(now);
    env.sender = "";
    env.recipients.push_back(
        {original.sender, kind_for(original.sender, settings), queue::RecipientState::pending, ""});
    env.arrival = now;
    env.client = "holdfast (delivery status notification)";
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
