// A recipient check on an open session (RFC 5321 has no "does this mailbox
// exist" that servers answer honestly; VRFY is mostly disabled): the RCPT
// reply of a transaction that is reset before DATA.
#include "smtp/client/session.hpp"
#include "smtp/client/session_impl.hpp"
#include "smtp/client/status.hpp"

namespace holdfast::smtp::client {

asio::awaitable<RecipientCheck> Session::check_recipient(std::string address) {
    Impl& s = *impl_;
    const auto& t = s.options.timeouts;
    if (!s.conn.is_open() || !s.in_sync) {
        co_return RecipientCheck{s.lost("starting a recipient check", "connection not usable")};
    }
    if (s.used) {
        Status reset = co_await s.exchange("RSET\r\n", t.command, "RSET");
        if (reset.outcome != Outcome::delivered) co_return RecipientCheck{reset};
    }
    s.used = true;
    // The null sender: a probe must never cause a bounce anywhere.
    Status mail = co_await s.command("MAIL FROM:<>", t.mail, "MAIL FROM");
    if (mail.outcome != Outcome::delivered) co_return RecipientCheck{mail};
    Status rcpt = co_await s.command("RCPT TO:<" + address + ">", t.rcpt, "RCPT TO");
    if (rcpt.code == 0) co_return RecipientCheck{rcpt};
    // Leave the transaction; the next use starts clean without another RSET.
    Status reset = co_await s.exchange("RSET\r\n", t.command, "RSET");
    if (reset.outcome == Outcome::delivered) s.used = false;
    co_return RecipientCheck{rcpt, true};
}

}  // namespace holdfast::smtp::client
