// Backup domains in the session: only recipients that exist are accepted
// (from the domain's list or file, or the primary's answer, cached), and
// ETRN (RFC 1985) lets the primary ask for its queued mail at once.
// Refusing at RCPT is the point: what is accepted and cannot be delivered
// later bounces to a sender that is usually forged (backscatter).
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include "mail/address.hpp"
#include "smtp/server/session.hpp"
#include "util/strings.hpp"
#include "verify/verifier.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;

namespace {

Reply unverified(const mail::Address& a) {
    // 450: the sender's MTA retries; nothing is lost, nobody gets a bounce.
    return Reply(450, "4.1.1",
                 a.bracketed() +
                     ": Recipient address rejected: unverified address, the primary "
                     "mail server cannot be asked now; try again later");
}

Reply unknown_user(const mail::Address& a) {
    return Reply(550, "5.1.1", a.bracketed() + ": Recipient address rejected: user unknown");
}

const config::BackupDomain* backup_for(const config::Config& c, const std::string& domain) {
    for (const auto& b : c.backups) {
        if (b.domain == domain) return &b;
    }
    return nullptr;
}

}  // namespace

asio::awaitable<std::optional<Reply>> Session::check_backup_rcpt(
    const policy::RecipientDecision& d) {
    if (d.backup == policy::BackupCheck::none) co_return std::nullopt;
    std::string to = d.address.bracketed();
    if (d.backup != policy::BackupCheck::verify) {
        // The list, the file, postmaster, or a domain that takes everyone.
        bool accepted = d.destination != policy::Destination::refused;
        spdlog::info("client={} from={} to={} check={} action={}{}", client_text(),
                     txn_->sender.bracketed(), to, policy::backup_check_name(d.backup),
                     accepted ? "accept" : "reject",
                     accepted ? "" : " reply=\"" + d.reply.summary() + "\"");
        if (accepted) co_return std::nullopt;
        co_return d.reply;
    }
    const config::BackupDomain* b = backup_for(config(), d.address.domain);
    verify::Answer a;
    if (ctx_.verifier) {
        a = co_await ctx_.verifier->check(d.address.str());
    } else {
        a.detail = "no verifier";
    }
    std::optional<Reply> reply;
    std::string action = "accept";
    if (a.verdict == verify::Verdict::bad) {
        reply = unknown_user(d.address);
        action = "reject";
    } else if (a.verdict == verify::Verdict::unknown &&
               !(b && b->unknown_while_down == config::UnknownWhileDown::accept)) {
        reply = unverified(d.address);
        action = "defer";
    }
    spdlog::info(
        "client={} from={} to={} check=verify verify={} source={} action={}{} detail=\"{}\"",
        client_text(), txn_->sender.bracketed(), to, verify::verdict_name(a.verdict),
        a.cached ? "cache" : "primary", action,
        reply ? " reply=\"" + reply->summary() + "\"" : std::string(),
        util::printable(a.detail, 200));
    co_return reply;
}

asio::awaitable<void> Session::on_etrn(const Command& c) {
    if (phase_ != Phase::ready) {
        send(Reply(503, "5.5.1", "Error: send HELO/EHLO first"));
        co_return;
    }
    if (txn_) {
        send(Reply(503, "5.5.1", "Error: MAIL transaction in progress"));
        co_return;
    }
    std::string node = c.argument;
    if (node.front() == '#') {
        // RFC 1985 named queues: we keep none.
        send(Reply(
            458, "4.0.0",
            "Unable to queue messages for node " + util::printable(node, 64) + ": no such queue"));
        co_return;
    }
    // "@domain" asks for the domain and its subdomains; we hold whole
    // domains only, so it means the domain.
    std::string domain = node.front() == '@' ? node.substr(1) : node;
    if (!mail::is_valid_domain(domain)) {
        send(Reply(501, "5.5.4", "Syntax: ETRN domain"));
        co_return;
    }
    domain = mail::normalize_domain(domain);
    const config::BackupDomain* b = backup_for(config(), domain);
    auto refuse = [&](const std::string& why) {
        spdlog::info("client={} command=ETRN domain={} action=refuse reason=\"{}\"", client_text(),
                     domain, why);
        send(Reply(459, "4.7.1", "Node " + domain + " not allowed: " + why));
    };
    if (!b) {
        refuse("not a domain this server queues mail for");
        co_return;
    }
    // Only the customer may ask: its networks (relay.networks), or its
    // primary. Being logged in is not enough (any user could flush any queue).
    bool permitted = settings_->policy.may_relay(policy::Client{peer_, local_, false});
    if (!permitted && ctx_.verifier) permitted = co_await ctx_.verifier->is_primary(domain, peer_);
    if (!permitted) {
        refuse("the client is not the domain's primary mail server");
        co_return;
    }
    if (!ctx_.flush_domain) {
        send(Reply(458, "4.0.0", "Unable to queue messages for node " + domain));
        co_return;
    }
    ctx_.flush_domain(domain);
    spdlog::info("client={} command=ETRN domain={} action=flush", client_text(), domain);
    send(Reply(250, "2.0.0", "Queuing for node " + domain + " started"));
}

}  // namespace holdfast::smtp
