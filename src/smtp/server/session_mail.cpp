// The mail transaction: MAIL, RCPT, DATA, and handing the message to the spool.
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <cerrno>

#include "mail/queue_id.hpp"
#include "metrics/events.hpp"
#include "queue/spool.hpp"
#include "scan/scanner.hpp"
#include "smtp/protocol/data_reader.hpp"
#include "smtp/server/received_header.hpp"
#include "smtp/server/session.hpp"
#include "util/file.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;

namespace {

queue::RecipientKind kind_of(policy::Destination d) {
    switch (d) {
        case policy::Destination::local:
            return queue::RecipientKind::local;
        case policy::Destination::backup:
            return queue::RecipientKind::backup;
        default:
            return queue::RecipientKind::relay;
    }
}

Reply data_problem_reply(DataReader::Problem p, const config::Limits& limits) {
    switch (p) {
        case DataReader::Problem::too_big:
            return Reply(552, "5.3.4",
                         "Message size exceeds fixed limit of " +
                             std::to_string(limits.message_size) + " octets");
        case DataReader::Problem::bad_line_ending:
            return Reply(550, "5.5.2",
                         "Message refused: bare CR or LF in message data; lines must end with CRLF "
                         "(RFC 5321 2.3.8)");
        case DataReader::Problem::line_too_long:
            return Reply(550, "5.5.2",
                         "Message refused: a line is longer than " +
                             std::to_string(limits.line_length) + " octets (RFC 5321 4.5.3.1.6)");
        case DataReader::Problem::nul:
            return Reply(550, "5.6.0",
                         "Message refused: NUL octet in message data (RFC 5321 2.3.8, RFC 6152)");
        case DataReader::Problem::too_many_hops:
            return Reply(554, "5.4.6",
                         "Too many hops: more than " + std::to_string(limits.hops) +
                             " Received: header fields, mail loop? (RFC 5321 6.3)");
        case DataReader::Problem::none:
            break;
    }
    return Reply(451, "4.3.0", "Internal error");
}

Reply insufficient_storage() {
    return Reply(452, "4.3.1", "Insufficient system storage");
}

}  // namespace

bool Session::spool_has_room(std::uint64_t announced_size) const {
    const auto free =
        util::recent_available_bytes(config().server.spool, std::chrono::milliseconds(250));
    if (!free) return true;  // cannot tell: the write itself will say
    return *free >= config().limits.spool_reserve + announced_size + announced_size / 2;
}

Reply Session::on_mail(const Command& c) {
    if (phase_ != Phase::ready) return Reply(503, "5.5.1", "Error: send HELO/EHLO first");
    if (txn_) return Reply(503, "5.5.1", "Error: nested MAIL command");
    if (listen_.role != config::Role::mx && auth_user_.empty()) {
        if (!stream_.tls_active())
            return Reply(530, "5.7.0", "Must issue a STARTTLS command first");
        return Reply(530, "5.7.0", "Authentication required");
    }
    if (!esmtp_ && c.mail.uses_esmtp()) {
        return Reply(555, "5.5.4", "MAIL parameters need EHLO");
    }
    if (c.address_has_utf8 && !c.mail.smtputf8) {
        return Reply(553, "5.6.7", "Non-ASCII address needs the SMTPUTF8 parameter");
    }
    if (c.mail.size && *c.mail.size > config().limits.message_size) {
        return Reply(552, "5.3.4",
                     "Message size exceeds fixed limit of " +
                         std::to_string(config().limits.message_size) + " octets");
    }
    if (!spool_has_room(c.mail.size.value_or(0))) {
        spdlog::warn("client={} status=reject reason=\"spool file system full\"", client_text());
        return insufficient_storage();
    }
    txn_ = Transaction{c.address, c.mail, {}, {}};
    return Reply(250, "2.1.0", "Ok");
}

asio::awaitable<Reply> Session::on_rcpt(const Command& c) {
    if (!txn_) co_return Reply(503, "5.5.1", "Error: need MAIL command");
    if (!esmtp_ && c.rcpt.uses_esmtp()) co_return Reply(555, "5.5.4", "RCPT parameters need EHLO");
    if (c.address_has_utf8 && !txn_->params.smtputf8) {
        co_return Reply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8 in MAIL FROM");
    }
    if (txn_->recipients.size() >= config().limits.recipients) {
        co_return Reply(452, "4.5.3", "Error: too many recipients");
    }
    // Listed clients are refused at RCPT, not at connect, so that the
    // sender's admin sees the list's reason in the bounce. Authenticated
    // users are exempt (a dynamic-IP policy list is not about them).
    if (auto r = co_await check_spf()) {
        spdlog::info("client={} status=reject from={} to={} reply=\"{}\"", client_text(),
                     txn_->sender.bracketed(), c.address.bracketed(), r->summary());
        co_return *r;
    }
    if (dnsbl_ && dnsbl_->reject && auth_user_.empty()) {
        Reply r(554, "5.7.1", dnsbl_->reply_text(peer_));
        spdlog::info("client={} status=reject from={} to={} reply=\"{}\"", client_text(),
                     txn_->sender.bracketed(), c.address.bracketed(), r.summary());
        co_return r;
    }
    policy::RecipientDecision d = settings_->policy.decide(c.address, policy_client());
    // Backup domains: only recipients that exist (session_backup.cpp).
    if (auto r = co_await check_backup_rcpt(d)) co_return *r;
    if (d.destination == policy::Destination::refused) {
        if (d.reply.code == 550 && d.reply.enhanced == "5.7.1")
            metrics::events().relay_denied.inc();
        spdlog::info("client={} status=reject from={} to={} reply=\"{}\"", client_text(),
                     txn_->sender.bracketed(), c.address.bracketed(), d.reply.summary());
        co_return d.reply;
    }
    std::string address = d.address.str();
    bool duplicate = std::any_of(txn_->recipients.begin(), txn_->recipients.end(),
                                 [&](const queue::Recipient& r) { return r.address == address; });
    // A repeated recipient keeps its first RCPT's DSN parameters.
    if (!duplicate) {
        txn_->recipients.push_back(
            queue::Recipient{address, kind_of(d.destination), {}, {}, c.rcpt.notify, c.rcpt.orcpt});
    }
    co_return d.reply;
}

asio::awaitable<void> Session::on_data() {
    if (!txn_) {
        send(Reply(503, "5.5.1", "Error: need MAIL command"));
        co_return;
    }
    if (txn_->recipients.empty()) {
        send(Reply(554, "5.5.1", "Error: no valid recipients"));
        co_return;
    }
    send(Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
    co_await flush();

    queue::Envelope env;
    env.id = mail::new_queue_id();
    env.arrival = std::chrono::system_clock::now();
    TraceInfo trace{
        .helo = helo_,
        .client_ip = peer_.str(),
        .hostname = config().server.hostname,
        .queue_id = env.id,
        .esmtp = esmtp_,
        .tls = stream_.tls_active(),
        .authenticated = !auth_user_.empty(),
        .smtputf8 = txn_->params.smtputf8,
        .single_recipient = txn_->recipients.size() == 1 ? txn_->recipients[0].address : "",
        .when = env.arrival};
    const config::Limits& limits = config().limits;
    // Ours is one of the `hops` Received: fields a message may carry.
    DataReader reader(received_header(trace), limits.message_size, limits.hops - 1);
    // A message larger than data_in_memory goes to a body file in the spool
    // as it arrives: then at most one read is buffered here.
    std::unique_ptr<queue::BodyFile> body;
    std::error_code body_ec;
    // Mail to be DKIM-signed streams through the hasher once, as it arrives.
    std::unique_ptr<dkim::MessageHasher> hasher;
    if (dkim_signs()) hasher = std::make_unique<dkim::MessageHasher>();
    // Mail checked for DMARC streams through a DKIM verifier the same way.
    std::unique_ptr<dkim::MessageVerifier> verifier;
    if (checks_apply() && config().checks.dmarc != config::DmarcAction::off && settings_->psl) {
        verifier = std::make_unique<dkim::MessageVerifier>();
    }
    auto spill = [&] {
        if (reader.problem() != DataReader::Problem::none) {
            body.reset();  // refused: the file goes now, not at the end of a long transfer
            return;
        }
        if (!body && !body_ec && reader.buffered() <= limits.data_in_memory) return;
        if (!body && !body_ec) body = ctx_.spool.create_body(env.id, body_ec);
        std::string bytes = reader.take();  // dropped when the file could not be made
        if (hasher) hasher->feed(bytes);
        if (verifier) verifier->feed(bytes);
        if (body) body->write(bytes);  // an error is kept: 451 at the end
    };
    framer_.set_mode(LineFramer::Mode::data);
    for (;;) {
        auto line = framer_.next();
        if (!line) {
            spill();
            if (!co_await read_more()) co_return;  // the client left: nothing was accepted
            continue;
        }
        if (reader.add(*line)) break;
    }
    framer_.set_mode(LineFramer::Mode::command);
    spill();

    Transaction txn = std::move(*txn_);
    txn_.reset();
    if (reader.problem() != DataReader::Problem::none) {
        Reply r = data_problem_reply(reader.problem(), config().limits);
        metrics::events().messages_rejected.inc();
        spdlog::info("client={} status=reject from={} reply=\"{}\"", client_text(),
                     txn.sender.bracketed(), r.summary());
        send(r);
        co_return;
    }
    env.sender = txn.sender.str();
    env.recipients = std::move(txn.recipients);
    env.client = client_text();
    env.auth_user = auth_user_;
    env.smtputf8 = txn.params.smtputf8;
    env.ret = txn.params.ret;
    env.envid = txn.params.envid;
    std::string message = reader.take();  // empty when the bytes are in `body`
    // In this order: what the client sent is hashed (DKIM signing) and
    // verified (DKIM for DMARC) as it is, before anything is added; checks
    // that may refuse run before the costlier scanners; the signature is
    // made last, over the headers the message will leave with.
    if (hasher) hasher->feed(message);
    std::string auth_results;
    if (checks_apply()) {
        if (verifier) verifier->feed(message);
        CheckResults checked = co_await finish_checks(txn, verifier.get(), env.id);
        if (checked.refusal) {
            spdlog::info("id={} client={} status=reject from={} reply=\"{}\"", env.id,
                         client_text(), txn.sender.bracketed(), checked.refusal->summary());
            send(*checked.refusal);
            co_return;  // a body file goes with `body`
        }
        auth_results = std::move(checked.header);
        if (auto ec = drop_forged_auth_results(env.id, message, body.get())) body_ec = ec;
    }
    if (ctx_.scanner && !body_ec) {
        // Virus and spam scanning (src/scan/): a refusal ends it here, nothing queued.
        // Mail we sign keeps its Subject (it is signed): spam is marked by
        // the X-Spam headers only.
        scan::Request req{env.id,         peer_.str(),      helo_, auth_user_, env.sender,
                          env.recipients, hasher != nullptr};
        if (auto refusal = co_await ctx_.scanner->scan(config(), req, message, body.get())) {
            send(*refusal);
            co_return;
        }
    }
    // Signed before the spool: the stored message carries the signature.
    // With a body file, added fields go into the log record before the
    // file's bytes.
    std::string added = hasher ? dkim_signatures(*hasher, env.id) : "";
    added.insert(0, auth_results);
    if (!added.empty()) {
        if (body) {
            body->prepend(std::move(added));
        } else {
            message.insert(0, added);
        }
    }
    std::error_code ec = body_ec;
    if (!ec) ec = co_await store(env, std::move(message), std::move(body));
    if (ec) {
        spdlog::error("id={} client={} status=failed reason=\"spool: {}\"", env.id, client_text(),
                      ec.message());
        // A full disk is the sender's cue to try later or elsewhere (RFC 3463
        // 4.3.1); any other write error is our own trouble.
        const bool full = ec == std::errc::no_space_on_device || ec.value() == EDQUOT;
        send(full ? insufficient_storage()
                  : Reply(451, "4.3.0", "Error: queue file write error, try again later"));
        co_return;
    }
    std::string to;
    for (const auto& r : env.recipients) to += (to.empty() ? "<" : ",<") + r.address + ">";
    spdlog::info("id={} client={} from=<{}> to={} size={} auth={} status=queued", env.id,
                 client_text(), env.sender, to, reader.received(),
                 auth_user_.empty() ? "-" : auth_user_);
    metrics::events().messages_received.inc();
    send(Reply(250, "2.0.0", "Ok: queued as " + env.id));
}

// Bridges the spool's callback (on its writer thread) back to this
// session's strand.
// With a body file the bytes are there and `message` is empty.
asio::awaitable<std::error_code> Session::store(queue::Envelope env, std::string message,
                                                std::unique_ptr<queue::BodyFile> body) {
    auto executor = stream_.socket().get_executor();
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::error_code)>(
        [&](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            auto done = [shared, executor](std::error_code ec) {
                asio::post(executor, [shared, ec]() mutable { (*shared)(ec); });
            };
            if (body) {
                ctx_.spool.store(std::move(env), std::move(body), std::move(done));
            } else {
                ctx_.spool.store(std::move(env), std::move(message), std::move(done));
            }
        },
        asio::use_awaitable);
}

}  // namespace holdfast::smtp
