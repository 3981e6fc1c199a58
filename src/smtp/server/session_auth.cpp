// STARTTLS (RFC 3207) and AUTH PLAIN / LOGIN (RFC 4954).
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include "auth/sasl.hpp"
#include "smtp/server/session.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;

namespace {
// A plain function, not a capturing lambda: GCC 12 mis-destroys the
// captures of a lambda coroutine handed to co_spawn (double free).
asio::awaitable<bool> verify_off_thread(std::string password, std::string hash) {
    co_return auth::verify_password(password, hash);
}
}  // namespace

// A response line that could not be read as one (over-long, bare LF, NUL):
// the exchange ends with an answer, unless the connection is gone anyway.
void Session::abort_auth() {
    if (!closing_) send(Reply(501, "5.5.2", "Bad AUTH response line"));
}

// Sends a 334 challenge and reads the client's response line.
asio::awaitable<std::optional<std::string>> Session::auth_prompt(std::string prompt) {
    out_ += "334 " + prompt + "\r\n";
    co_return co_await read_line();
}

asio::awaitable<void> Session::on_starttls() {
    if (!settings_->tls) {
        send(Reply(502, "5.5.1", "STARTTLS not available"));
        co_return;
    }
    if (stream_.tls_active()) {
        send(Reply(503, "5.5.1", "TLS already active"));
        co_return;
    }
    send(Reply(220, "2.0.0", "Ready to start TLS"));
    co_await flush();
    // The STARTTLS command injection bug (CVE-2011-0411 and kin): whatever the
    // client pipelined after STARTTLS came in clear text and must not be
    // executed as if it had arrived over TLS.
    if (framer_.buffered() > 0) {
        spdlog::warn("client={} discarded={} reason=\"data pipelined after STARTTLS\"",
                     client_text(), framer_.buffered());
        framer_.discard_buffered();
    }
    touch();
    if (auto ec = co_await stream_.start_tls(*settings_->tls)) {
        spdlog::info("client={} status=disconnected reason=\"TLS handshake failed: {}\"",
                     client_text(), ec.message());
        closing_ = true;
        co_return;
    }
    // RFC 3207 4.2: forget everything learnt before TLS.
    phase_ = Phase::greeting;
    helo_.clear();
    esmtp_ = false;
    reset_transaction();
}

asio::awaitable<void> Session::answer_auth_failure(const std::string& user) {
    ++auth_failures_;
    auto delay = ctx_.auth_failures.failed(peer_);
    spdlog::warn("client={} status=auth-failed user=\"{}\" failures={}", client_text(),
                 util::printable(user, 64), auth_failures_);
    asio::steady_timer t(stream_.socket().get_executor(), delay);
    co_await t.async_wait(asio::use_awaitable);
    if (auth_failures_ >= config().auth.max_failures) {
        close_after(Reply(
            421, "4.7.0",
            config().server.hostname + " Too many authentication failures, closing connection"));
    } else {
        send(Reply(535, "5.7.8", "Authentication credentials invalid"));
    }
}

asio::awaitable<void> Session::on_auth(const Command& c) {
    if (!settings_->users) {
        send(Reply(502, "5.5.1", "AUTH not available"));
        co_return;
    }
    if (!stream_.tls_active()) {
        send(Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
        co_return;
    }
    if (phase_ != Phase::ready || !esmtp_) {
        send(Reply(503, "5.5.1", "Error: send EHLO first"));
        co_return;
    }
    if (!auth_user_.empty()) {
        send(Reply(503, "5.5.1", "Already authenticated"));
        co_return;
    }
    if (txn_) {
        send(Reply(503, "5.5.1", "AUTH not allowed during a mail transaction"));
        co_return;
    }
    auto space = c.argument.find(' ');
    std::string mechanism = util::ascii_lower(c.argument.substr(0, space));
    std::optional<std::string> initial;
    if (space != std::string::npos) initial = c.argument.substr(space + 1);

    // Each response may be "*", which cancels (RFC 4954 4).
    std::optional<auth::Credentials> creds;
    bool cancelled = false;
    if (mechanism == "plain") {
        std::optional<std::string> text = initial;
        if (!text) text = co_await auth_prompt("");
        if (!text) co_return abort_auth();
        if (*text == "*") {
            cancelled = true;
        } else {
            creds = auth::decode_plain(*text == "=" ? "" : *text);
        }
    } else if (mechanism == "login") {
        std::optional<std::string> user_text = initial;
        if (!user_text) user_text = co_await auth_prompt(util::base64_encode("Username:"));
        if (!user_text) co_return abort_auth();
        if (*user_text == "*") {
            cancelled = true;
        } else {
            auto pass_text = co_await auth_prompt(util::base64_encode("Password:"));
            if (!pass_text) co_return abort_auth();
            cancelled = *pass_text == "*";
            auto user = auth::decode_login_field(*user_text);
            auto pass = auth::decode_login_field(*pass_text);
            if (user && pass && !user->empty()) creds = auth::Credentials{*user, *pass};
        }
    } else {
        send(Reply(504, "5.5.4",
                   "Unrecognized authentication mechanism (PLAIN and LOGIN are offered)"));
        co_return;
    }
    if (cancelled) {
        send(Reply(501, "5.0.0", "Authentication cancelled"));
        co_return;
    }
    if (!creds) {
        send(Reply(501, "5.5.2", "Cannot decode the AUTH response"));
        co_return;
    }
    // crypt(3) is deliberately slow: run it off the I/O threads. An unknown
    // user costs the same path (a failure with the same delay) so that
    // timing does not tell which users exist.
    auto hash = settings_->users->hash_of(creds->user);
    bool good = false;
    if (hash) {
        good = co_await asio::co_spawn(
            ctx_.blocking_pool, verify_off_thread(creds->password, *hash), asio::use_awaitable);
    }
    if (!good) {
        co_await answer_auth_failure(creds->user);
        co_return;
    }
    ctx_.auth_failures.succeeded(peer_);
    auth_user_ = creds->user;
    spdlog::info("client={} status=authenticated user=\"{}\"", client_text(),
                 util::printable(auth_user_, 64));
    send(Reply(235, "2.7.0", "Authentication successful"));
}

}  // namespace holdfast::smtp
