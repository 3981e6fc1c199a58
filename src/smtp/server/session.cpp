// Session lifecycle, line handling and the small verbs. MAIL/RCPT/DATA live
// in session_mail.cpp, STARTTLS and AUTH in session_auth.cpp.
#include "smtp/server/session.hpp"
#include "metrics/events.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include "util/strings.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;

namespace {

util::IpAddress to_ip(const asio::ip::address& a) {
    util::IpAddress ip;
    if (a.is_v4()) {
        ip.bytes[10] = ip.bytes[11] = 0xff;
        auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), ip.bytes.begin() + 12);
    } else {
        auto b = a.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), ip.bytes.begin());
    }
    return ip;
}
}  // namespace

Session::Session(Stream::Socket socket, SessionContext& ctx, config::Listen listen,
                 const asio::ip::tcp::endpoint& peer, const asio::ip::address& bound)
    : ctx_(ctx),
      settings_(ctx.settings()),
      listen_(std::move(listen)),
      stream_(std::move(socket)),
      timer_(stream_.socket().get_executor()),
      framer_(settings_->config->limits.line_length),
      dnsbl_wait_(stream_.socket().get_executor()) {
    peer_ = to_ip(peer.address());
    if (!bound.is_unspecified()) {
        local_ = to_ip(bound);
    } else {
        boost::system::error_code ec;
        auto local = stream_.socket().local_endpoint(ec);
        if (!ec) local_ = to_ip(local.address());
    }
    started_ = std::chrono::steady_clock::now();
    touch();
}

std::string Session::client_text() const {
    return (helo_.empty() ? std::string("unknown") : util::printable(helo_, 64)) + "[" +
           peer_.str() + "]";
}

policy::Client Session::policy_client() const {
    return policy::Client{peer_, local_, !auth_user_.empty()};
}

asio::awaitable<void> Session::run() {
    auto self = shared_from_this();
    std::optional<ConnectionSlot> slot;
    bool per_ip = false;
    if (!ctx_.connections.try_add(peer_, &per_ip)) {
        metrics::events().smtp_connections_refused.inc();
        spdlog::warn("client=[{}] status=refused reason=\"too many connections\"", peer_.str());
        close_after(Reply(421, "4.7.0",
                          config().server.hostname + " Too many connections, try again later"));
        co_await flush();
        stream_.close();
        co_return;
    }
    slot.emplace(ctx_.connections, peer_, per_ip);
    asio::co_spawn(stream_.socket().get_executor(), watchdog(), asio::detached);
    start_dnsbl_check();
    spdlog::debug("client=[{}] status=connected listener={}", peer_.str(), listen_.address);

    bool ok = true;
    if (listen_.role == config::Role::submissions) {
        ok = settings_->tls && !(co_await stream_.start_tls(*settings_->tls));
    }
    if (ok) {
        send(Reply(220, "", config().server.hostname + " ESMTP Holdfast"));
        while (!closing_) {
            if (stopping_) {
                say_shutting_down();
                break;
            }
            auto line = framer_.next();
            if (!line) {
                co_await flush();
                waiting_for_command_ = true;
                bool more = co_await read_more();
                waiting_for_command_ = false;
                if (!more && stopping_ && !timed_out_) say_shutting_down();
                if (!more) break;
                continue;
            }
            co_await handle_line(*line);
        }
        // The conversation is over (QUIT, EOF, an error, a timeout): give the
        // slot back before the last reply goes out, so a client that reads
        // its 221 and connects again at once is not counted twice.
        slot.reset();
        co_await flush();
    }
    timer_.cancel();
    dnsbl_wait_.cancel();
    stream_.close();
    spdlog::debug("client={} status=disconnected", client_text());
}

void Session::shutdown() {
    asio::post(stream_.socket().get_executor(), [self = shared_from_this()] {
        self->stopping_ = true;
        // Only a read for the next command is cut short; DATA and a store
        // in progress finish, and run() says 421 after their reply.
        if (self->waiting_for_command_) {
            boost::system::error_code ignored;
            self->stream_.socket().cancel(ignored);
        }
    });
}

void Session::cut() {
    asio::post(stream_.socket().get_executor(), [self = shared_from_this()] {
        self->stopping_ = true;
        self->stream_.close();
    });
}

void Session::say_shutting_down() {
    close_after(
        Reply(421, "4.3.2", config().server.hostname + " Service shutting down, try again later"));
}

asio::awaitable<void> Session::handle_line(const LineFramer::Line& line) {
    if (line.too_long) {
        send(Reply(500, "5.5.2",
                   "Line too long (the limit is " + std::to_string(config().limits.line_length) +
                       " octets with CRLF)"));
        co_return;
    }
    if (line.bare_lf_ending || line.bare_cr_or_lf) {
        send(Reply(500, "5.5.2",
                   "Syntax error: bare CR or LF; lines must end with CRLF (RFC 5321 2.3.8)"));
        co_return;
    }
    CommandParse parsed = parse_command(line.text);
    if (!parsed.command) {
        send(parsed.error);
        co_return;
    }
    co_await dispatch(*parsed.command);
}

asio::awaitable<void> Session::dispatch(Command& c) {
    switch (c.verb) {
        case Verb::helo:
        case Verb::ehlo:
            send(on_hello(c));
            break;
        case Verb::mail:
            send(on_mail(c));
            break;
        case Verb::rcpt: {
            co_await await_dnsbl();
            send(co_await on_rcpt(c));
            break;
        }
        case Verb::etrn:
            co_await on_etrn(c);
            break;
        case Verb::data:
            co_await on_data();
            break;
        case Verb::starttls:
            co_await on_starttls();
            break;
        case Verb::auth:
            co_await on_auth(c);
            break;
        case Verb::rset:
            reset_transaction();
            send(Reply(250, "2.0.0", "Ok"));
            break;
        case Verb::noop:
            send(Reply(250, "2.0.0", "Ok"));
            break;
        case Verb::vrfy:
            // RFC 5321 3.5.3: do not confirm or deny mailboxes to strangers.
            send(Reply(252, "2.5.0",
                       "Cannot VRFY user, but will accept message and attempt delivery"));
            break;
        case Verb::expn:
            send(Reply(502, "5.5.1", "EXPN not supported"));
            break;
        case Verb::help:
            send(Reply(
                214, "2.0.0",
                "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH ETRN"));
            break;
        case Verb::quit:
            close_after(Reply(221, "2.0.0", config().server.hostname + " Bye"));
            break;
    }
}

Reply Session::on_hello(const Command& c) {
    reset_transaction();
    helo_ = c.argument;
    esmtp_ = c.verb == Verb::ehlo;
    phase_ = Phase::ready;
    if (esmtp_) return ehlo_reply();
    return Reply(250, "", config().server.hostname);
}

Reply Session::ehlo_reply() const {
    Reply r;
    r.code = 250;
    r.lines.push_back(config().server.hostname + " Hello " + util::printable(helo_, 64) + " [" +
                      peer_.str() + "]");
    r.lines.push_back("PIPELINING");
    r.lines.push_back("SIZE " + std::to_string(config().limits.message_size));
    r.lines.push_back("8BITMIME");
    r.lines.push_back("ENHANCEDSTATUSCODES");
    r.lines.push_back("DSN");   // RFC 3461
    r.lines.push_back("ETRN");  // RFC 1985: our backup domains' primaries may ask for their mail
    if (settings_->tls && !stream_.tls_active()) r.lines.push_back("STARTTLS");
    // RFC 4954 4: never offer passwords a clear-text channel.
    if (settings_->users && stream_.tls_active() && auth_user_.empty())
        r.lines.push_back("AUTH PLAIN LOGIN");
    r.lines.push_back("SMTPUTF8");
    return r;
}

}  // namespace holdfast::smtp
