// One mail transaction on an open session: RSET when the peer may still
// hold a transaction, MAIL, RCPT and DATA (one pipelined group when
// PIPELINING is offered, RFC 2920: DATA may end the group), then the body
// with its final dot, and per-recipient results from the replies.
#include "smtp/client/session_impl.hpp"
#include "smtp/client/status.hpp"
#include "smtp/client/wire.hpp"

namespace holdfast::smtp::client {

namespace {

// Written in pieces so that the RFC's per-block timeout (4.5.3.2.5) applies
// to each; the last piece carries the end of the body and ".\r\n" together.
constexpr std::size_t kDataBlock = 64 * 1024;

// Gives every recipient (or only those the server accepted at RCPT) `s`.
void settle(Result& r, const Status& s, bool only_accepted = false) {
    for (auto& rr : r.recipients) {
        if (only_accepted && rr.status.outcome != Outcome::delivered) continue;
        rr.status = s;
    }
}

}  // namespace

// [RSET,] MAIL, every RCPT [and DATA]; recipient statuses come from the
// RCPT replies, or all of them from a refused MAIL. With PIPELINING all of
// it leaves in one write and the replies are read in order (RFC 2920), so
// a message on a reused connection costs two round trips (this group, then
// the body), not four; `data_reply` gets DATA's reply. Without it, one
// command at a time, RSET and DATA left to the caller.
asio::awaitable<void> Session::Impl::pipeline(const Message& m, std::size_t size, bool reset,
                                              Result& result, std::optional<Status>& data_reply) {
    const auto& t = options.timeouts;
    std::vector<std::string> lines{mail_command(m, caps, size)};
    for (std::size_t i = 0; i < m.recipients.size(); ++i) lines.push_back(rcpt_command(m, i, caps));
    if (caps.pipelining) {
        // One write for the whole group; replies come back in order.
        std::string batch = reset ? "RSET\r\n" : "";
        for (const auto& l : lines) batch += l + "\r\n";
        batch += "DATA\r\n";
        if (auto e = co_await conn.write(batch, t.mail); !e.empty()) {
            settle(result, lost("sending MAIL FROM and RCPT TO", e));
            co_return;
        }
        if (reset) {
            auto r = co_await conn.read_reply(t.command);
            if (!r.reply) {
                settle(result, lost("waiting for the reply to RSET", r.error));
                co_return;
            }
            if (Status s = status_of(*r.reply); s.outcome != Outcome::delivered) {
                // A peer that will not reset cannot be trusted with another
                // message; the rest of the group is unread: close.
                settle(result, lost("resetting", s.text));
                co_return;
            }
        }
    }
    std::optional<Status> mail_refused;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        bool mail = i == 0;
        Millis timeout = mail ? t.mail : t.rcpt;
        if (!caps.pipelining) {
            if (mail_refused) break;  // no RCPT after a refused MAIL
            std::string line = lines[i] + "\r\n";
            if (auto e = co_await conn.write(line, timeout); !e.empty()) {
                settle(result, lost(mail ? "sending MAIL FROM" : "sending RCPT TO", e));
                co_return;
            }
        }
        auto r = co_await conn.read_reply(timeout);
        if (!r.reply) {
            settle(result, lost(mail ? "waiting for the reply to MAIL FROM"
                                     : "waiting for the reply to RCPT TO",
                                r.error));
            co_return;
        }
        Status s = status_of(*r.reply);
        if (mail) {
            if (s.outcome != Outcome::delivered) mail_refused = s;
        } else if (!mail_refused) {
            result.recipients[i - 1].status = s;
        }
    }
    if (mail_refused) settle(result, *mail_refused);
    if (caps.pipelining) {
        auto r = co_await conn.read_reply(t.data_init);
        if (!r.reply) {
            settle(result, lost("waiting for the reply to DATA", r.error), true);
            co_return;
        }
        data_reply = status_of(*r.reply);
    }
}

asio::awaitable<Result> Session::Impl::transact(const Message& m) {
    const auto& t = options.timeouts;
    Result result;
    for (const auto& rcpt : m.recipients) {
        result.recipients.push_back({rcpt, Status{Outcome::deferred, 0, "4.4.2", "not tried"}});
    }
    if (!conn.is_open() || !in_sync) {
        settle(result, lost("starting a transaction", "connection not usable"));
        co_return result;
    }
    // The peer may still hold a transaction (one that ended before its
    // data): RSET first. After a final-dot reply it holds none.
    const bool reset = used;
    if (reset && !caps.pipelining) {
        Status s = co_await exchange("RSET\r\n", t.command, "RSET");
        if (s.outcome != Outcome::delivered) {
            // A peer that will not reset cannot be trusted with another message.
            if (s.code != 0) s = lost("resetting", s.text);
            settle(result, s);
            co_return result;
        }
    }
    used = true;

    std::string payload = dot_stuff(m.data);
    std::size_t size = payload.size() - 3;  // SIZE counts the message, not the final dot
    if (caps.size_limit != 0 && size > caps.size_limit) {
        settle(result, Status{Outcome::failed, 0, "5.3.4",
                              fmt::format("message size {} exceeds the limit of {} ({} octets)",
                                          size, remote, caps.size_limit)});
        co_return result;
    }
    if (m.smtputf8 && !caps.smtputf8) {
        settle(result, Status{Outcome::failed, 0, "5.6.7",
                              fmt::format("{} does not support SMTPUTF8 (RFC 6531)", remote)});
        co_return result;
    }

    std::optional<Status> pipelined_data;
    co_await pipeline(m, size, reset && caps.pipelining, result, pipelined_data);
    if (!in_sync) co_return result;
    bool any = false;
    for (const auto& r : result.recipients) any = any || r.status.outcome == Outcome::delivered;
    if (pipelined_data && pipelined_data->code == 354 && !any) {
        // DATA went with the group and the peer took it although it took no
        // recipient (RFC 2920 says it must refuse it): an empty message
        // ends it, delivered to nobody; the next send() resets.
        Status end = co_await exchange(".\r\n", t.data_end, "the end of an empty message");
        (void)end;
        co_return result;
    }
    if (!any) co_return result;  // nobody to send to; the next send() resets

    // From here an accepted recipient is only "accepted at RCPT": the reply
    // to DATA or to the final dot decides.
    // Not a ?: around a co_await: GCC 12 miscompiles that.
    Status data;
    if (pipelined_data) {
        data = *pipelined_data;
    } else {
        data = co_await exchange("DATA\r\n", t.data_init, "DATA");
    }
    if (data.code != 354) {
        if (data.outcome == Outcome::delivered) data.outcome = Outcome::deferred;  // not 354
        settle(result, data, true);
        co_return result;
    }
    // Never leave the final ".\r\n" alone in a small last write: the last
    // write takes between half a block and a block and a half.
    std::string_view rest = payload;
    while (!rest.empty()) {
        std::size_t n = rest.size() > kDataBlock + kDataBlock / 2 ? kDataBlock : rest.size();
        if (auto e = co_await conn.write(rest.substr(0, n), t.data_block); !e.empty()) {
            settle(result, lost("sending the message", e), true);
            co_return result;
        }
        rest.remove_prefix(n);
    }
    if (options.lmtp) {
        co_await lmtp_replies(result);
        used = !in_sync;  // every reply read: the transaction is over
        co_return result;
    }
    auto end = co_await conn.read_reply(t.data_end);
    // Lost after the dot: the message may have arrived; a retry risks a
    // duplicate, which beats losing it (RFC 1047).
    if (!end.reply) {
        settle(result, lost("waiting for the reply to the end of data", end.error), true);
        co_return result;
    }
    settle(result, status_of(*end.reply), true);
    // Whatever the reply, the transaction is over (RFC 5321 4.1.1.4): the
    // next one needs no RSET.
    used = false;
    co_return result;
}

// RFC 2033 4.2: after the final dot, one reply for each recipient accepted
// at RCPT, in RCPT order. A connection lost midway leaves the recipients
// not yet answered deferred (their copies may or may not have arrived).
asio::awaitable<void> Session::Impl::lmtp_replies(Result& result) {
    for (auto& rr : result.recipients) {
        if (rr.status.outcome != Outcome::delivered) continue;  // refused at RCPT
        auto r = co_await conn.read_reply(options.timeouts.data_end);
        if (!r.reply) {
            Status gone = lost("waiting for the per-recipient replies to the end of data", r.error);
            bool from_here = false;
            for (auto& rest : result.recipients) {
                from_here = from_here || &rest == &rr;
                if (from_here && rest.status.outcome == Outcome::delivered) rest.status = gone;
            }
            co_return;
        }
        rr.status = status_of(*r.reply);
    }
}

}  // namespace holdfast::smtp::client
