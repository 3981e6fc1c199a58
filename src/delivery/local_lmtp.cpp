// The local courier's LMTP half: a message's LMTP recipients grouped by
// target, one transaction each, the store's per-recipient answers turned
// into outcomes, and the permanent failures bounced.
#include <fmt/format.h>

#include "delivery/local_courier.hpp"
#include "dsn/dsn.hpp"
#include "mail/address.hpp"

namespace holdfast::delivery {

using queue::RecipientState;
using smtp::client::Outcome;

namespace {

LocalOutcome from_status(const smtp::client::Status& s, const std::string& target) {
    LocalOutcome o;
    o.lmtp = true;
    o.target = "lmtp[" + target + "]";
    o.dsn = s.enhanced;
    o.text = s.text;
    o.reply = s.code != 0;
    switch (s.outcome) {
        case Outcome::delivered:
            o.state = RecipientState::delivered;
            break;
        case Outcome::failed:
            o.state = RecipientState::failed;
            o.error = s.text;
            break;
        case Outcome::deferred:
            o.state = RecipientState::pending;
            o.error = s.text;
            o.retry = true;
            break;
    }
    return o;
}

}  // namespace

void LocalCourier::deliver_lmtp(const queue::Envelope& env,
                                const std::vector<const queue::Recipient*>& rcpts,
                                const std::string& message, Outcomes& outcomes) {
    std::map<std::string, std::vector<const queue::Recipient*>> by_target;
    for (const auto* r : rcpts) {
        auto at = r->address.rfind('@');
        auto d = find_domain(r->address.substr(at + 1));
        if (!d || d->lmtp.empty()) continue;  // reloaded meanwhile: deliver_one() decides
        by_target[d->lmtp].push_back(r);
    }
    for (const auto& [target, group] : by_target) {
        smtp::client::Message m;
        m.sender = env.sender;
        m.data = message;
        m.smtputf8 = env.smtputf8;
        m.ret = env.ret;
        m.envid = env.envid;
        for (const auto* r : group) {
            m.recipients.push_back(r->address);
            m.recipient_dsn.push_back({r->notify, r->orcpt});
        }
        auto results = lmtp_.deliver(target, m);
        for (std::size_t i = 0; i < group.size() && i < results.size(); ++i) {
            outcomes[group[i]->address] = from_status(results[i].status, target);
        }
    }
}

// RFC 3464 bounces for recipients the store refused for good; queue_notice
// sends nothing to the null sender.
void LocalCourier::bounce(const queue::Envelope& env, const std::string& message,
                          const Outcomes& outcomes) {
    std::vector<dsn::RecipientStatus> report;
    auto now = std::chrono::system_clock::now();
    for (const auto& [address, o] : outcomes) {
        if (!o.lmtp || o.state != RecipientState::failed) continue;
        dsn::RecipientStatus rs;
        rs.final_recipient = address;
        rs.action = dsn::Action::failed;
        rs.status = o.dsn;
        rs.remote_mta = settings_.lmtp.hostname;
        rs.diagnostic = o.text;
        rs.smtp_reply = o.reply;
        rs.last_attempt = now;
        report.push_back(rs);
    }
    if (report.empty() || settings_.notices.hostname.empty()) return;
    queue_notice(spool_, env, message, std::move(report), settings_.notices, now);
}

}  // namespace holdfast::delivery
