// Session set-up: connect, banner, EHLO / HELO, STARTTLS; QUIT. The mail
// transaction itself is in transaction.cpp.
#include "smtp/client/session.hpp"

#include "smtp/client/capabilities.hpp"
#include "smtp/client/session_impl.hpp"
#include "smtp/client/status.hpp"

namespace holdfast::smtp::client {

namespace {

// Our own words about the connection: always temporary (RFC 3463 4.4.x).
Status network(std::string enhanced, std::string text) {
    return Status{Outcome::deferred, 0, std::move(enhanced), std::move(text)};
}

// RFC 5321 6.3 / Postfix's smtp_helo: a peer that calls itself by our
// name, in its banner or its EHLO reply, is us (or a relay back to us):
// delivering there would loop.
bool names_us(const Reply& r, std::string_view our_name) {
    if (r.lines.empty() || our_name.empty()) return false;
    std::string_view first = r.lines[0];
    first = first.substr(0, first.find_first_of(" \t"));
    if (!first.empty() && first.back() == '.') first.remove_suffix(1);
    if (!our_name.empty() && our_name.back() == '.') our_name.remove_suffix(1);
    return first.size() == our_name.size() &&
           std::equal(first.begin(), first.end(), our_name.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

tcp::endpoint to_asio(const Endpoint& e) {
    asio::ip::address_v6::bytes_type b;
    std::copy(e.address.bytes.begin(), e.address.bytes.end(), b.begin());
    asio::ip::address_v6 v6(b);
    if (v6.is_v4_mapped()) return {asio::ip::make_address_v4(asio::ip::v4_mapped, v6), e.port};
    return {v6, e.port};
}

// One TLS context for every client session of the process: making one
// (SSL_CTX_new) costs about 0.1 ms of CPU, as much as relaying a whole
// message, and a connection to a new host is made for most messages. An
// SSL_CTX that is no longer changed may make SSL objects on any thread.
// Never freed: no exit-time ordering against OpenSSL's own clean-up.
asio::ssl::context& client_tls() {
    static asio::ssl::context* ctx = [] {
        auto* c = new asio::ssl::context(asio::ssl::context::tls_client);
        // Opportunistic TLS (RFC 7435): encrypt when we can, verify nothing;
        // refusing a bad certificate would only push the mail to plain text.
        c->set_verify_mode(asio::ssl::verify_none);
        return c;
    }();
    return *ctx;
}

}  // namespace

Session::Impl::Impl(asio::any_io_executor ex, const std::string& host, Endpoint ep, Options o)
    : conn(ex, client_tls()), ex(ex), endpoint(ep), options(std::move(o)) {
    remote = options.unix_socket.empty() ? fmt::format("{}[{}]:{}", host, ep.address.str(), ep.port)
                                         : fmt::format("{}[unix:{}]", host, options.unix_socket);
}

Status Session::Impl::loop(std::string_view where) {
    return network("4.4.6", fmt::format("{} {} with our own name {} (a mail loop)", remote, where,
                                        options.helo));
}

Status Session::Impl::lost(std::string_view stage, const std::string& error) {
    in_sync = false;
    conn.close();
    last_error = fmt::format("lost connection with {} while {}: {}", remote, stage, error);
    return network("4.4.2", last_error);
}

asio::awaitable<Status> Session::Impl::exchange(std::string_view bytes, Millis timeout,
                                                std::string_view stage) {
    if (auto e = co_await conn.write(bytes, timeout); !e.empty())
        co_return lost(fmt::format("sending {}", stage), e);
    auto r = co_await conn.read_reply(timeout);
    if (!r.reply) co_return lost(fmt::format("waiting for the reply to {}", stage), r.error);
    co_return status_of(*r.reply);
}

asio::awaitable<Status> Session::Impl::command(std::string line, Millis timeout,
                                               std::string_view stage) {
    line += "\r\n";
    co_return co_await exchange(line, timeout, stage);
}

// EHLO, or HELO when the peer does not speak ESMTP (RFC 5321 3.2).
asio::awaitable<Status> Session::Impl::hello() {
    // RFC 2033 4.1: LHLO replaces EHLO, and there is no HELO to fall back to.
    std::string_view verb = options.lmtp ? "LHLO" : "EHLO";
    std::string ehlo = fmt::format("{} {}\r\n", verb, options.helo);
    if (auto e = co_await conn.write(ehlo, options.timeouts.command); !e.empty())
        co_return lost(fmt::format("sending {}", verb), e);
    auto r = co_await conn.read_reply(options.timeouts.command);
    if (!r.reply) co_return lost(fmt::format("waiting for the reply to {}", verb), r.error);
    if (options.lmtp) {
        if (r.reply->positive()) caps = parse_capabilities(*r.reply);
        co_return status_of(*r.reply);
    }
    if (r.reply->positive()) {
        if (names_us(*r.reply, options.helo)) co_return loop("answers EHLO");
        caps = parse_capabilities(*r.reply);
        co_return status_of(*r.reply);
    }
    if (r.reply->transient()) co_return status_of(*r.reply);  // 421: closing, try later
    caps = Capabilities{};
    std::string helo = "HELO " + options.helo + "\r\n";
    if (auto e = co_await conn.write(helo, options.timeouts.command); !e.empty())
        co_return lost("sending HELO", e);
    r = co_await conn.read_reply(options.timeouts.command);
    if (!r.reply) co_return lost("waiting for the reply to HELO", r.error);
    if (r.reply->positive() && names_us(*r.reply, options.helo)) co_return loop("answers HELO");
    co_return status_of(*r.reply);
}

asio::awaitable<Status> Session::Impl::start(bool try_tls) {
    // Not a ?: between two co_awaits: GCC 12 miscompiles that.
    std::string e;
    if (options.unix_socket.empty()) {
        e = co_await conn.connect(to_asio(endpoint), options.timeouts.connect);
    } else {
        e = co_await conn.connect_local(options.unix_socket, options.timeouts.connect);
    }
    if (!e.empty()) co_return network("4.4.1", fmt::format("connect to {}: {}", remote, e));
    in_sync = true;
    auto banner = co_await conn.read_reply(options.timeouts.banner);
    if (!banner.reply) co_return lost("waiting for the banner", banner.error);
    // A 554 banner is the host's verdict on us, reported as it is; the
    // courier decides whether another host may do better.
    if (banner.reply->code != 220) co_return status_of(*banner.reply);
    if (!options.lmtp && names_us(*banner.reply, options.helo)) co_return loop("greets");
    Status s = co_await hello();
    // No TLS over a unix socket: the peer is this host.
    if (s.outcome != Outcome::delivered || !try_tls || !caps.starttls ||
        !options.unix_socket.empty())
        co_return s;
    Status tls = co_await command("STARTTLS", options.timeouts.command, "STARTTLS");
    if (tls.code == 0) co_return tls;
    if (tls.code != 220) co_return s;  // TLS refused: the session goes on in plain text
    if (auto e = co_await conn.handshake(options.timeouts.tls_handshake); !e.empty())
        co_return network("4.7.0", fmt::format("TLS handshake with {} failed: {}", remote, e));
    co_return co_await hello();  // RFC 3207 4.2: forget what was said before TLS
}

asio::awaitable<Opened> Session::open(asio::any_io_executor ex, std::string host, Endpoint endpoint,
                                      Options options) {
    auto impl = std::make_unique<Impl>(ex, host, endpoint, options);
    Status s = co_await impl->start(options.starttls);
    if (s.code == 0 && s.enhanced == "4.7.0") {
        // A server that offers STARTTLS but cannot complete it: opportunistic
        // TLS means trying once more in plain text rather than never delivering.
        impl = std::make_unique<Impl>(ex, host, endpoint, options);
        s = co_await impl->start(false);
    }
    if (s.outcome == Outcome::delivered && impl->conn.is_open()) {
        co_return Opened{std::unique_ptr<Session>(new Session(std::move(impl))), s};
    }
    if (impl->conn.is_open()) {
        // Refused at the banner or EHLO: say goodbye, ignore the answer.
        co_await impl->command("QUIT", std::chrono::seconds(1), "QUIT");
        impl->conn.close();
    }
    if (s.outcome == Outcome::delivered) s = network("4.4.2", "connection closed unexpectedly");
    co_return Opened{nullptr, s};
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

bool Session::usable() const {
    return impl_->conn.is_open() && impl_->in_sync;
}
bool Session::tls() const {
    return impl_->conn.tls();
}
const Capabilities& Session::capabilities() const {
    return impl_->caps;
}
const std::string& Session::remote() const {
    return impl_->remote;
}

asio::awaitable<Result> Session::send(Message m) {
    Result r = co_await impl_->transact(m);
    r.reusable = usable();
    if (!r.reusable) r.error = impl_->last_error;
    co_return r;
}

asio::awaitable<void> Session::quit() {
    if (impl_->conn.is_open() && impl_->in_sync) {
        co_await impl_->command("QUIT", impl_->options.timeouts.command, "QUIT");
    }
    impl_->conn.close();
}

}  // namespace holdfast::smtp::client
