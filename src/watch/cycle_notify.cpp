#include <spdlog/spdlog.h>

#include <algorithm>

#include "mail/address.hpp"
#include "mail/queue_id.hpp"
#include "queue/envelope.hpp"
#include "watch/cycle_run.hpp"

namespace holdfast::watch {

nlohmann::json CycleCounts::to_json() const {
    return {{"polled", polled},   {"changed", changed},       {"tested", tested},
            {"open", open},       {"violations", violations}, {"resolved", resolved},
            {"checked", checked}, {"listed", listed},         {"delisted", delisted},
            {"notices", notices}, {"errors", errors}};
}

std::string CycleRun::notify(const std::string& kind, const std::string& customer,
                             const std::string& about, const NoticeText& text, bool to_abuse) {
    std::vector<std::string> to;
    auto it = customers.find(customer);
    if (it != customers.end()) to = it->second.emails;
    if (customer.empty()) {
        to.push_back(w.settings_.postmaster.empty() ? "postmaster@" + w.settings_.hostname
                                                    : w.settings_.postmaster);
    }
    if (to_abuse && !w.settings_.abuse.empty()) to.push_back(w.settings_.abuse);
    if (to.empty()) return std::string();
    auto now = w.settings_.clock();
    std::string id = mail::new_queue_id(now);
    std::string message = compose(w.settings_.notice_from, to, text, w.settings_.hostname, id, now);
    if (w.spool_) {
        queue::Envelope env;
        env.id = id;
        env.sender = w.settings_.notice_from;
        env.arrival = now;
        env.client = "holdfast watch";
        for (const auto& r : to) {
            const std::string domain = queue::destination_domain(r);
            bool local = std::any_of(
                w.settings_.local_domains.begin(), w.settings_.local_domains.end(),
                [&](const std::string& l) { return mail::normalize_domain(l) == domain; });
            queue::Recipient rcpt;
            rcpt.address = r;
            rcpt.kind = local ? queue::RecipientKind::local : queue::RecipientKind::relay;
            env.recipients.push_back(rcpt);
        }
        w.spool_->store(std::move(env), std::move(message), [id](std::error_code ec) {
            if (ec) spdlog::error("id={} status=notice-lost error=\"{}\"", id, ec.message());
        });
    }
    std::string joined;
    for (const auto& r : to) joined += (joined.empty() ? "" : ",") + r;
    spdlog::info("id={} watch notice={} customer={} about={} to={} status=queued", id, kind,
                 customer, about, joined);
    w.store_.add_notice({now, kind, customer, about, joined, w.spool_ ? id : ""});
    ++out.notices;
    return id;
}

}  // namespace holdfast::watch
