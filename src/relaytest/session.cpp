#include "relaytest/session.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "relaytest/verdict.hpp"
#include "util/strings.hpp"

namespace holdfast::relaytest {
namespace {

bool offers(const smtp::Reply& ehlo, std::string_view keyword) {
    for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
        std::string_view word = ehlo.lines[i];
        word = word.substr(0, word.find(' '));
        if (util::iequals(word, keyword)) return true;
    }
    return false;
}

Greeting failed(Greeting g, const smtp::Reply& r) {
    g.reply = r;
    g.status = r.transient() ? Greeting::Status::deferred : Greeting::Status::refused;
    return g;
}

Greeting lost(Greeting g, std::string error) {
    g.status = Greeting::Status::lost;
    g.error = std::move(error);
    return g;
}

// A 421 (or a lost connection) as the error that ends the session.
ReplyOrError as_error(const ReplyOrError& x) {
    if (!x.ok()) return x;
    return ReplyOrError{std::nullopt, x.reply->summary()};
}

// EHLO, falling back to HELO when EHLO is not understood or refused.
asio::awaitable<ReplyOrError> hello(Connection& c, const std::string& helo) {
    ReplyOrError r = co_await c.command("EHLO " + helo);
    if (r.ok() && r.reply->permanent()) r = co_await c.command("HELO " + helo);
    co_return r;
}

// RFC 5322 date for the probe message.
std::string rfc5322_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

// The --deliver message: it says what it is, and carries the token and the
// vector id, so whoever finds it knows which trick got it through.
std::string probe_message(const Vector& v, bool tls, const DeliverSpec& d) {
    std::string body = fmt::format(
        "Date: {}\r\n"
        "From: <{}>\r\n"
        "To: undisclosed-recipients:;\r\n"
        "Subject: Holdfast relay test {} vector {}\r\n"
        "Message-ID: <{}.{}@{}>\r\n"
        "X-Relay-Test-Token: {}\r\n"
        "\r\n"
        "This message is an open-relay test sent by holdfast relay-test.\r\n"
        "If you can read it, the server that accepted it relays mail for\r\n"
        "outside users.\r\n"
        "\r\n"
        "token:     {}\r\n"
        "vector:    {} ({})\r\n"
        "MAIL FROM: {}\r\n"
        "RCPT TO:   {}\r\n"
        "TLS:       {}\r\n",
        rfc5322_now(), d.header_from, d.token, v.id, d.token, v.id, d.helo, d.token, d.token, v.id,
        v.probes, v.mail_from, v.rcpt_to, tls ? "yes" : "no");
    // Nothing in it starts with '.', so no dot-stuffing is needed.
    return body + ".\r\n";
}

}  // namespace

asio::awaitable<Greeting> greet(Connection& c, const std::string& helo, bool want_tls,
                                const std::string& sni) {
    Greeting g;
    ReplyOrError banner = co_await c.read_reply();
    if (!banner.ok()) co_return lost(g, "no greeting: " + banner.error);
    g.banner = banner.reply;
    if (banner.reply->code != 220) co_return failed(g, *banner.reply);
    ReplyOrError ehlo = co_await hello(c, helo);
    if (!ehlo.ok()) co_return lost(g, "after EHLO: " + ehlo.error);
    if (!ehlo.reply->positive()) co_return failed(g, *ehlo.reply);
    g.starttls_offered = offers(*ehlo.reply, "STARTTLS");
    if (want_tls) {
        if (!g.starttls_offered) {
            g.status = Greeting::Status::tls_failed;
            g.error = "STARTTLS no longer offered";
            co_return g;
        }
        ReplyOrError st = co_await c.command("STARTTLS");
        if (!st.ok()) co_return lost(g, "after STARTTLS: " + st.error);
        if (st.reply->code != 220) {
            g.status = Greeting::Status::tls_failed;
            g.error = "STARTTLS refused: " + st.reply->summary();
            co_return g;
        }
        if (std::string e = co_await c.handshake(sni); !e.empty()) {
            g.status = Greeting::Status::tls_failed;
            g.error = e;
            co_return g;
        }
        ehlo = co_await hello(c, helo);
        if (!ehlo.ok()) co_return lost(g, "after EHLO inside TLS: " + ehlo.error);
        if (!ehlo.reply->positive()) co_return failed(g, *ehlo.reply);
    }
    g.status = Greeting::Status::ok;
    co_return g;
}

namespace {

// 421 means the server is closing: an answer about the session, not the vector.
bool closing(const ReplyOrError& x) {
    return x.ok() && x.reply->code == 421;
}

// RCPT (and DATA with --deliver) after an accepted MAIL FROM. False when the
// connection was lost (run is then filled in).
asio::awaitable<bool> recipient(Connection& c, const Vector& v, bool tls,
                                const DeliverSpec* deliver, VectorRun& run) {
    VectorResult& r = run.result;
    auto lose = [&](const ReplyOrError& x) {
        run.lost = true;
        r.result = Result::error;
        r.reply = x.error;
        return false;
    };
    ReplyOrError rcpt = co_await c.command("RCPT TO:" + v.rcpt_to);
    if (!rcpt.ok() || closing(rcpt)) co_return lose(as_error(rcpt));
    r.rcpt_tried = true;
    r.result = classify(*rcpt.reply);
    r.reply = rcpt.reply->summary();
    if (std::string n = reply_note(*rcpt.reply); !n.empty()) {
        r.note = r.note.empty() ? n : r.note + "; " + n;
    }
    run.demands_tls = demands_tls(*rcpt.reply);
    run.unknown_domain = r.result != Result::relayed && mentions_unknown_domain(*rcpt.reply);
    if (r.result != Result::relayed || !deliver) co_return true;
    ReplyOrError data = co_await c.command("DATA");
    if (!data.ok()) co_return lose(data);
    if (data.reply->code != 354) {
        r.result = data.reply->positive() ? Result::error : classify(*data.reply);
        r.reply = data.reply->summary();
        r.note = "RCPT accepted, refused at DATA";
        co_return true;
    }
    std::string msg = probe_message(v, tls, *deliver);
    std::string e =
        co_await c.send_raw(msg, fmt::format("(probe message, {} bytes, token {}, ends with \".\")",
                                             msg.size(), deliver->token));
    if (!e.empty()) co_return lose(ReplyOrError{{}, e});
    ReplyOrError end = co_await c.read_reply();
    if (!end.ok()) co_return lose(end);
    r.result = classify(*end.reply);
    r.reply = end.reply->summary();
    r.note = r.result == Result::relayed
                 ? "message accepted for delivery (token " + deliver->token + ")"
                 : "RCPT accepted, message refused after DATA";
    co_return true;
}

}  // namespace

asio::awaitable<VectorRun> run_vector(Connection& c, const Vector& v, bool tls,
                                      const std::string& plain_from, const DeliverSpec* deliver) {
    VectorRun run;
    VectorResult& r = run.result;
    r.id = v.id;
    r.probes = v.probes;
    r.helo = v.helo;
    r.mail_from = v.mail_from;
    r.rcpt_to = v.rcpt_to;
    r.tls = tls;
    r.via_target = v.via_target;
    r.via_domain = v.via_domain;
    auto lose = [&](const ReplyOrError& x) {
        run.lost = true;
        r.result = Result::error;
        r.reply = x.error;
        return run;
    };

    ReplyOrError mail = co_await c.command("MAIL FROM:" + v.mail_from);
    if (!mail.ok() || closing(mail)) co_return lose(as_error(mail));
    if (mail.reply->positive()) {
        if (!co_await recipient(c, v, tls, deliver, run)) co_return run;
    } else {
        r.result = classify(*mail.reply);
        r.reply = mail.reply->summary();
        r.note = "MAIL FROM not accepted";
        if (std::string n = reply_note(*mail.reply); !n.empty()) r.note += "; " + n;
        run.demands_tls = demands_tls(*mail.reply);
        // The sender was refused (Exim: "501 domain literals not allowed"):
        // the vector's recipient is still worth a test, with a plain sender.
        if (mail.reply->permanent() && r.result == Result::refused && !run.demands_tls &&
            !plain_from.empty() && v.mail_from != plain_from) {
            std::string refusal = r.reply;
            ReplyOrError again = co_await c.command("MAIL FROM:" + plain_from);
            if (!again.ok() || closing(again)) co_return lose(as_error(again));
            if (again.reply->positive()) {
                r.substitute_from = plain_from;
                r.note = "MAIL FROM " + v.mail_from + " refused (" + refusal +
                         "): recipient tested with the substitute sender " + plain_from;
                if (!co_await recipient(c, v, tls, deliver, run)) co_return run;
            } else {
                r.note = "MAIL FROM not accepted, nor the plain sender " + plain_from + " (" +
                         again.reply->summary() + ")";
            }
        }
    }
    ReplyOrError rset = co_await c.command("RSET");
    if (!rset.ok() || closing(rset)) run.lost = true;  // the result stands; the session does not
    co_return run;
}

asio::awaitable<std::optional<bool>> rcpt_accepted(Connection& c, const std::string& from,
                                                   const std::string& rcpt) {
    ReplyOrError mail = co_await c.command("MAIL FROM:" + from);
    if (!mail.ok()) co_return std::nullopt;
    bool accepted = false;
    if (mail.reply->positive()) {
        ReplyOrError r = co_await c.command("RCPT TO:" + rcpt);
        if (!r.ok()) co_return std::nullopt;
        accepted = r.reply->positive();
    }
    ReplyOrError rset = co_await c.command("RSET");
    if (!rset.ok()) co_return std::nullopt;
    co_return accepted;
}

asio::awaitable<void> quit(Connection& c) {
    (void)co_await c.command("QUIT");
    c.close();
}

}  // namespace holdfast::relaytest
