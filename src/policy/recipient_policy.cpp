#include "policy/recipient_policy.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/strings.hpp"

namespace holdfast::policy {
namespace {

// Nested routing like a%b%c@host is unwrapped at most this deep.
constexpr int kMaxRoutingDepth = 5;

smtp::Reply relaying_denied(const mail::Address& a) {
    return smtp::Reply(550, "5.7.1", a.bracketed() + ": relaying denied");
}

smtp::Reply unknown_user(const mail::Address& a) {
    return smtp::Reply(550, "5.1.1", a.bracketed() + ": Recipient address rejected: user unknown");
}

RecipientDecision accept(Destination d, mail::Address a) {
    smtp::Reply ok(250, "2.1.5", "Ok");
    return RecipientDecision{d, std::move(a), std::move(ok)};
}

RecipientDecision refuse(const mail::Address& a, smtp::Reply why) {
    return RecipientDecision{Destination::refused, a, std::move(why)};
}

bool is_postmaster(const std::string& local) {
    return util::iequals(local, "postmaster");
}

bool listed(const std::vector<std::string>& recipients, const std::string& local) {
    return std::find(recipients.begin(), recipients.end(), util::fold_local_part(local)) !=
           recipients.end();
}

}  // namespace

const char* backup_check_name(BackupCheck c) {
    switch (c) {
        case BackupCheck::none:
            return "none";
        case BackupCheck::any:
            return "any";
        case BackupCheck::postmaster:
            return "postmaster";
        case BackupCheck::list:
            return "list";
        case BackupCheck::file:
            return "file";
        case BackupCheck::verify:
            return "verify";
    }
    return "none";
}

RecipientPolicy::RecipientPolicy(const config::Config& config, RecipientFiles files,
                                 const CustomerDomains* customers)
    : config_(config), files_(std::move(files)), customers_(customers) {
    // A file the caller did not load is loaded here: a recipients_file must
    // never silently mean "everyone exists". A bad one refuses everyone
    // until it is fixed (the app checks them at start and refuses to run).
    for (const auto& b : config_.backups) {
        if (b.recipients_file.empty() || files_.contains(b.domain)) continue;
        std::vector<RecipientFileError> errors;
        files_[b.domain] = std::make_shared<RecipientFile>(b.recipients_file, b.domain, errors);
        for (const auto& e : errors) {
            spdlog::error("recipients_file={} line={} status=invalid reason=\"{}\"",
                          b.recipients_file, e.line, e.message);
        }
    }
}

bool RecipientPolicy::may_relay(const Client& client) const {
    if (client.authenticated) return true;
    return std::any_of(config_.relay.networks.begin(), config_.relay.networks.end(),
                       [&](const util::IpNetwork& n) { return n.contains(client.address); });
}

const config::LocalDomain* RecipientPolicy::local_domain(const std::string& domain) const {
    for (const auto& l : config_.locals) {
        if (l.domain == domain) return &l;
    }
    return nullptr;
}

const config::BackupDomain* RecipientPolicy::backup_domain(const std::string& domain) const {
    for (const auto& b : config_.backups) {
        if (b.domain == domain) return &b;
    }
    return nullptr;
}

std::optional<CustomerDomain> RecipientPolicy::customer_domain(const std::string& domain) const {
    if (!customers_) return std::nullopt;
    auto map = customers_->snapshot();
    auto it = map->find(domain);
    if (it == map->end()) return std::nullopt;
    return it->second;
}

RecipientPolicy::DomainKind RecipientPolicy::kind_of(const std::string& domain,
                                                     const Client& client) const {
    if (local_domain(domain)) return DomainKind::local;
    if (backup_domain(domain) || customer_domain(domain)) return DomainKind::backup;
    if (domain.empty() || domain == config_.server.hostname || domain == "localhost") {
        return DomainKind::ours_by_name;
    }
    if (domain.front() == '[') {
        // An address literal is ours only if it really is one of our addresses.
        if (domain == client.local_address.literal()) return DomainKind::ours_by_name;
        for (const auto& a : config_.server.addresses) {
            if (domain == a.literal()) return DomainKind::ours_by_name;
        }
    }
    return DomainKind::foreign;
}

RecipientDecision RecipientPolicy::decide(const mail::Address& rcpt, const Client& client) const {
    mail::Address current = rcpt;
    current.domain = mail::normalize_domain(current.domain);
    for (int depth = 0; current.has_routing(); ++depth) {
        DomainKind outer = kind_of(current.domain, client);
        // Routing through someone else's domain is that domain's business:
        // the address as a whole is simply not ours.
        if (outer == DomainKind::foreign) break;
        // Sender-specified routing through us (or a backup domain, RFC 2505
        // 2.13.1) is relaying, whatever the final domain turns out to be.
        if (!may_relay(client) || depth >= kMaxRoutingDepth)
            return refuse(rcpt, relaying_denied(rcpt));
        auto inner = mail::unwrap_routing(current);
        if (!inner || inner->local.empty() || inner->domain.empty() ||
            !(mail::is_valid_domain(inner->domain) || inner->domain.front() == '[')) {
            return refuse(rcpt,
                          smtp::Reply(550, "5.1.3", rcpt.bracketed() + ": bad routing in address"));
        }
        current = std::move(*inner);
    }
    return decide_plain(current, client);
}

RecipientDecision RecipientPolicy::decide_plain(const mail::Address& rcpt,
                                                const Client& client) const {
    switch (kind_of(rcpt.domain, client)) {
        case DomainKind::local: {
            const config::LocalDomain& d = *local_domain(rcpt.domain);
            if (is_postmaster(rcpt.local) || listed(d.recipients, rcpt.local)) {
                return accept(Destination::local, rcpt);
            }
            return refuse(rcpt, unknown_user(rcpt));
        }
        case DomainKind::backup: {
            const config::BackupDomain* configured = backup_domain(rcpt.domain);
            if (!configured) {
                // A customer's domain from the store: served while active;
                // suspended, the sender's MTA is told to retry (nothing is
                // lost, and mail queued before stays queued).
                auto c = customer_domain(rcpt.domain);
                if (c && c->suspended) {
                    return refuse(rcpt, smtp::Reply(450, "4.7.1",
                                                    rcpt.bracketed() +
                                                        ": Recipient address rejected: backup "
                                                        "service for this domain is suspended; "
                                                        "try again later"));
                }
                RecipientDecision d = accept(Destination::backup, rcpt);
                d.backup = is_postmaster(rcpt.local) ? BackupCheck::postmaster : BackupCheck::any;
                return d;
            }
            // Only recipients that exist are accepted: a backup MX that
            // takes everything bounces the rest later, to forged senders.
            const config::BackupDomain& b = *configured;
            RecipientDecision d;
            auto file = files_.find(b.domain);
            if (is_postmaster(rcpt.local)) {
                d = accept(Destination::backup, rcpt);
                d.backup = BackupCheck::postmaster;
            } else if (file != files_.end()) {
                d = file->second->contains(rcpt.local) ? accept(Destination::backup, rcpt)
                                                       : refuse(rcpt, unknown_user(rcpt));
                d.backup = BackupCheck::file;
            } else if (!b.recipients.empty()) {
                d = listed(b.recipients, rcpt.local) ? accept(Destination::backup, rcpt)
                                                     : refuse(rcpt, unknown_user(rcpt));
                d.backup = BackupCheck::list;
            } else {
                d = accept(Destination::backup, rcpt);
                d.backup = b.verify ? BackupCheck::verify : BackupCheck::any;
            }
            return d;
        }
        case DomainKind::ours_by_name: {
            // Our host name, address literal or an unqualified address: only
            // postmaster exists there (RFC 5321 4.5.1); it is delivered to
            // the postmaster of our first local domain.
            if (is_postmaster(rcpt.local) && !config_.locals.empty()) {
                mail::Address pm;
                pm.local = "postmaster";
                pm.domain = config_.locals.front().domain;
                return accept(Destination::local, pm);
            }
            if (rcpt.domain.empty()) {
                return refuse(rcpt,
                              smtp::Reply(550, "5.1.3", rcpt.bracketed() + ": domain required"));
            }
            return refuse(rcpt, unknown_user(rcpt));
        }
        case DomainKind::foreign:
            if (may_relay(client)) return accept(Destination::relay, rcpt);
            return refuse(rcpt, relaying_denied(rcpt));
    }
    return refuse(rcpt, relaying_denied(rcpt));
}

}  // namespace holdfast::policy
