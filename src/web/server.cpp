// HTTP sessions on Beast, after Beast's "advanced server" example: one
// coroutine per connection, every read and write bounded in time, headers
// and bodies bounded in size, the number of connections capped.
#include "web/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>

#include "util/net.hpp"
#include "util/thread_name.hpp"
#include "web/handlers.hpp"
#include "web/relay_tests.hpp"
#include "web/router.hpp"

namespace holdfast::web {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

// The bounds (docs/web.md). A page request is a line, a few headers and at
// most a form with one field; anything bigger is not a visitor.
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 16 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kEventsPoll = std::chrono::milliseconds(250);

// key="value" for log lines: quotes and backslashes escaped, bytes outside
// printable ASCII as \xHH, long values cut.
std::string log_quoted(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s.substr(0, 300)) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + (s.size() > 300 ? "...\"" : "\"");
}

void security_headers(http::fields& f, bool tls) {
    f.set("Content-Security-Policy",
          "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    f.set("X-Content-Type-Options", "nosniff");
    f.set("X-Frame-Options", "DENY");
    f.set("Referrer-Policy", "no-referrer");
    if (tls) f.set("Strict-Transport-Security", "max-age=31536000");
}

std::string reason_words(int status) {
    switch (status) {
        case 400:
            return "Bad request.\n";
        case 408:
            return "The request took too long to arrive.\n";
        case 413:
            return "The request body is too large.\n";
        case 431:
            return "The request headers are too large.\n";
        default:
            return "Error.\n";
    }
}

}  // namespace

struct Server::Impl {
    const config::Config config;  // a copy: a reload must not pull it from under us
    Services services;
    std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>(1);
    std::optional<asio::ssl::context> tls;
    std::unique_ptr<tcp::acceptor> acceptor;
    RelayTests tests;
    Handlers handlers;
    std::unique_ptr<Admin> admin;
    Router router;
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> refused_connections{0};
    std::thread thread;
    bool stopped = false;

    Impl(const config::Config& c, Services s)
        : config(c),
          services(std::move(s)),
          tests(io->get_executor(), services.store, relay_test_settings_from(c)),
          handlers(tests, services.resolver,
                   LookupSettings{c.dnsbl.zones, c.web.lookups_per_client,
                                  std::chrono::seconds(3600), std::chrono::milliseconds(10000)}),
          admin(c.web.admins.empty()
                    ? nullptr
                    : std::make_unique<Admin>(
                          AdminServices{services.store, services.queue, services.backup_domains,
                                        services.customers_changed},
                          AdminSettings{c.web.admins, c.web.tls})),
          router(handlers, admin.get(), services.metrics_text) {}

    asio::awaitable<void> accept_loop();
    template <class Stream>
    asio::awaitable<void> session(Stream stream, std::string client);
    template <class Stream>
    asio::awaitable<bool> write(Stream& stream, const Request& req, Response res, bool keep_alive,
                                std::chrono::steady_clock::time_point started);
    template <class Stream>
    asio::awaitable<void> events(Stream& stream, std::string id);
};

asio::awaitable<void> Server::Impl::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // EMFILE and the like: wait a moment rather than spin.
            spdlog::warn("web status=accept-failed reason=\"{}\"", ec.message());
            asio::steady_timer t(*io, std::chrono::milliseconds(100));
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        boost::system::error_code ignored;
        auto peer = socket.remote_endpoint(ignored);
        std::string client =
            peer.address().is_v4() || !peer.address().to_v6().is_v4_mapped()
                ? peer.address().to_string()
                : asio::ip::make_address_v4(asio::ip::v4_mapped, peer.address().to_v6())
                      .to_string();
        if (connections.load() >= config.web.max_connections) {
            // Closed unanswered: an answer would cost what the cap saves.
            if (refused_connections++ % 100 == 0) {
                spdlog::warn("web client={} status=refused reason=\"{} connections at once\"",
                             client, config.web.max_connections);
            }
            socket.close(ignored);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ignored);
        ++connections;
        if (tls) {
            asio::co_spawn(*io,
                           session(beast::ssl_stream<beast::tcp_stream>(
                                       beast::tcp_stream(std::move(socket)), *tls),
                                   client),
                           asio::detached);
        } else {
            asio::co_spawn(*io, session(beast::tcp_stream(std::move(socket)), client),
                           asio::detached);
        }
    }
}

template <class Stream>
asio::awaitable<bool> Server::Impl::write(Stream& stream, const Request& req, Response res,
                                          bool keep_alive,
                                          std::chrono::steady_clock::time_point started) {
    http::response<http::string_body> out{static_cast<http::status>(res.status), 11};
    out.set(http::field::server, "holdfast");
    out.set(http::field::content_type, res.content_type);
    out.set(http::field::cache_control, res.cacheable ? "public, max-age=3600" : "no-store");
    security_headers(out, tls.has_value());
    for (auto& [name, value] : res.headers) out.set(name, value);
    std::size_t bytes = res.body.size();
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    if (req.method == "HEAD") out.body().clear();
    beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
    auto [ec, n] = co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
    auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count() /
              1000.0;
    spdlog::info("web client={} method={} target={} status={} bytes={} ms={:.1f}{}", req.client,
                 req.method.empty() ? "-" : req.method, log_quoted(req.target), res.status, bytes,
                 ms, ec ? " write_error=" + log_quoted(ec.message()) : "");
    co_return !ec;
}

template <class Stream>
asio::awaitable<void> Server::Impl::events(Stream& stream, std::string id) {
    http::response<http::empty_body> head{http::status::ok, 11};
    head.set(http::field::server, "holdfast");
    head.set(http::field::content_type, "text/event-stream");
    head.set(http::field::cache_control, "no-store");
    security_headers(head, tls.has_value());
    head.keep_alive(false);
    http::response_serializer<http::empty_body> sr{head};
    beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
    auto [ec, n] =
        co_await http::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    asio::steady_timer timer(*io);
    std::string last;
    // Bounded: a test ends within its time limit; a client that stops
    // reading is cut by the write timeout.
    auto until = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    while (std::chrono::steady_clock::now() < until) {
        auto doc = tests.document(id);
        if (!doc) co_return;
        std::string message;
        if ((*doc)["state"] == "done") {
            message = sse_event("done", {{"verdict", (*doc)["verdict"]}});
        } else {
            json p = (*doc)["progress"];
            p["state"] = (*doc)["state"];
            message = sse_event("progress", p);
            if (message == last) message.clear();
        }
        if (!message.empty()) {
            last = message;
            beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
            auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(message),
                                                        asio::as_tuple(asio::use_awaitable));
            if (wec || (*doc)["state"] == "done") co_return;
        }
        timer.expires_after(kEventsPoll);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

template <class Stream>
asio::awaitable<void> Server::Impl::session(Stream stream, std::string client) {
    struct Count {
        std::atomic<std::size_t>& n;
        ~Count() { --n; }
    } count{connections};
    const auto timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(config.web.request_timeout);
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        beast::get_lowest_layer(stream).expires_after(timeout);
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                    asio::as_tuple(asio::use_awaitable));
        if (ec) {
            spdlog::info("web client={} status=tls-failed reason={}", client,
                         log_quoted(ec.message()));
            co_return;
        }
    }
    beast::flat_buffer buffer(kHeaderLimit + kBodyLimit);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(kBodyLimit);
        // One deadline for the whole request, not per read: a client that
        // trickles a byte a second is cut at request_timeout (slowloris).
        beast::get_lowest_layer(stream).expires_after(timeout);
        auto [ec, n] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        auto started = std::chrono::steady_clock::now();
        Request req;
        req.client = client;
        if (ec) {
            int status = 0;
            if (ec == http::error::header_limit)
                status = 431;
            else if (ec == http::error::body_limit)
                status = 413;
            else if (ec == beast::error::timeout)
                status = parser.got_some() ? 408 : 0;
            else if (ec.category() == make_error_code(http::error::bad_target).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message)
                status = 400;
            if (status == 0) {
                if (ec == beast::error::timeout) {
                    spdlog::info("web client={} status=idle-timeout", client);
                }
                co_return;
            }
            if (parser.is_header_done()) {
                req.method = std::string(parser.get().method_string());
                req.target = std::string(parser.get().target());
            }
            Response res{status, "text/plain; charset=utf-8", reason_words(status), {}, false, {}};
            co_await write(stream, req, std::move(res), false, started);
            co_return;
        }
        auto& msg = parser.get();
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.content_type = std::string(msg[http::field::content_type]);
        req.cookies = std::string(msg[http::field::cookie]);
        req.authorization = std::string(msg[http::field::authorization]);
        req.body = std::move(msg.body());
        bool keep_alive = msg.keep_alive();
        Response res;
        try {
            res = co_await router.route(req);
        } catch (const std::exception& e) {
            spdlog::error("web client={} target={} status=500 reason={}", client,
                          log_quoted(req.target), log_quoted(e.what()));
            res = Response{500, "text/plain; charset=utf-8", "Internal error.\n", {}, false, {}};
            keep_alive = false;
        }
        if (!res.events.empty()) {
            spdlog::info("web client={} method={} target={} status=200 events=start", client,
                         req.method, log_quoted(req.target));
            co_await events(stream, res.events);
            co_return;
        }
        if (!co_await write(stream, req, std::move(res), keep_alive, started) || !keep_alive) break;
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

Server::Server(const config::Config& config, Services services)
    : impl_(std::make_unique<Impl>(config, std::move(services))) {}

Server::~Server() {
    stop();
    // Sessions' frames go with the io_context, before what they point into.
    impl_->acceptor.reset();
    impl_->io.reset();
}

void Server::bind() {
    auto& c = impl_->config;
    auto hp = util::parse_host_port(c.web.address);
    if (!hp) throw std::runtime_error("[web] address " + c.web.address + ": must be host:port");
    if (c.web.tls) {
        asio::ssl::context ctx(asio::ssl::context::tls_server);
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        ctx.set_options(asio::ssl::context::default_workarounds |
                        asio::ssl::context::no_compression);
        boost::system::error_code ec;
        ctx.use_certificate_chain_file(c.tls.cert, ec);
        if (ec) throw std::runtime_error("[tls] cert " + c.tls.cert + ": " + ec.message());
        ctx.use_private_key_file(c.tls.key, asio::ssl::context::pem, ec);
        if (ec) throw std::runtime_error("[tls] key " + c.tls.key + ": " + ec.message());
        impl_->tls.emplace(std::move(ctx));
    }
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(hp->host, ec);
    if (ec)
        throw std::runtime_error("[web] address " + c.web.address +
                                 ": the host must be an IP address");
    tcp::endpoint ep(ip, hp->port);
    auto acceptor = std::make_unique<tcp::acceptor>(*impl_->io);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("[web] address " + c.web.address + ": " + ec.message());
    impl_->acceptor = std::move(acceptor);
}

std::string Server::local_address() const {
    if (!impl_->acceptor) return "";
    boost::system::error_code ec;
    auto ep = impl_->acceptor->local_endpoint(ec);
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void Server::start() {
    if (!impl_->acceptor) bind();
    asio::co_spawn(*impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([io = impl_->io.get()] {
        util::name_this_thread("hf-web");
        io->run();
    });
    spdlog::info("web status=listening address={} tls={}", local_address(),
                 impl_->tls ? "yes" : "no");
}

void Server::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    if (impl_->thread.joinable()) {
        // No new connections; then a lookup still waiting for DNS gets its
        // answer (bounded by its deadline) before the executor it will
        // complete on goes away.
        asio::post(*impl_->io, [this] {
            boost::system::error_code ignored;
            impl_->acceptor->close(ignored);
        });
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(12);
        while (impl_->handlers.lookups_in_flight() > 0 &&
               std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    impl_->io->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace holdfast::web
