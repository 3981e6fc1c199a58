// The one place that constructs the modules and connects them.
#include "app/app.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <thread>

#include "app/logging.hpp"
#include "app/self_check.hpp"
#include "control/protocol.hpp"
#include "control/server.hpp"
#include "delivery/local_courier.hpp"
#include "delivery/remote_courier.hpp"
#include "dns/resolver.hpp"
#include "dnsbl/checker.hpp"
#include "queue/spool.hpp"
#include "smtp/server/server.hpp"
#include "store/store.hpp"
#include "util/file.hpp"
#include "verify/verifier.hpp"
#include "watch/watcher.hpp"

namespace holdfast::app {
namespace asio = boost::asio;
namespace {

// A problem with what the configuration points at (users file, TLS files):
// like a bad config, it makes serve exit 2 (CONTRACT).
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::shared_ptr<const auth::UsersFile> load_users(const config::Config& c) {
    if (c.auth.users.empty()) return nullptr;
    std::string text;
    if (auto ec = util::read_file(c.auth.users, text)) {
        throw ConfigError("[auth] users " + c.auth.users + ": " + ec.message());
    }
    std::vector<auth::UsersFile::LoadError> errors;
    auto users = auth::UsersFile::parse(text, errors);
    for (const auto& e : errors) spdlog::error("{}:{}: {}", c.auth.users, e.line, e.message);
    if (!errors.empty()) throw ConfigError("[auth] users " + c.auth.users + " has errors");
    return std::make_shared<const auth::UsersFile>(std::move(users));
}

// Each [[backup]] recipients_file, read now: like the users file, one that
// is missing or has a malformed line stops serve (exit 2), naming FILE:LINE.
policy::RecipientFiles load_recipient_files(const config::Config& c) {
    policy::RecipientFiles files;
    bool bad = false;
    for (const auto& b : c.backups) {
        if (b.recipients_file.empty()) continue;
        std::vector<policy::RecipientFileError> errors;
        auto file = std::make_shared<policy::RecipientFile>(b.recipients_file, b.domain, errors);
        for (const auto& e : errors) {
            if (e.line) {
                spdlog::error("{}:{}: {}", b.recipients_file, e.line, e.message);
            } else {
                spdlog::error("{}: {}", b.recipients_file, e.message);
            }
        }
        bad = bad || !errors.empty();
        files[b.domain] = std::move(file);
    }
    if (bad) throw ConfigError("[[backup]] recipients_file has errors");
    return files;
}

std::optional<asio::ssl::context> make_tls(const config::Config& c) {
    if (!c.tls.enabled()) return std::nullopt;
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    // TLS 1.2 and newer only; no compression, no renegotiation tricks.
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                    asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx.use_certificate_chain_file(c.tls.cert, ec);
    if (ec) throw ConfigError("[tls] cert " + c.tls.cert + ": " + ec.message());
    ctx.use_private_key_file(c.tls.key, asio::ssl::context::pem, ec);
    if (ec) throw ConfigError("[tls] key " + c.tls.key + ": " + ec.message());
    return ctx;
}

// The control socket and the SMTP listeners, until SIGTERM / SIGINT.
int run_listeners(const config::Config& config, control::Admin admin, dns::Resolver& resolver,
                  const policy::CustomerDomains& customers) {
    queue::Spool& spool = admin.spool;
    auto flush_domain = admin.flush;  // ETRN
    // `holdfast queue ...` talks to us here instead of touching the spool.
    control::ControlServer control(std::move(admin));
    if (auto e = control.start()) {
        spdlog::critical("control socket {}: {}", control.path().string(), e.message());
        return 1;
    }
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    asio::io_context io(static_cast<int>(threads));
    asio::thread_pool blocking(2);
    std::optional<dnsbl::Checker> dnsbl;
    if (!config.dnsbl.zones.empty()) dnsbl.emplace(resolver, config.dnsbl, config.relay.networks);
    // Asks backup domains' primaries about recipients (verify = true) and
    // knows them for ETRN. After io and blocking: destroyed before them.
    std::optional<verify::Verifier> verifier;
    if (!config.backups.empty()) {
        auto settings = verify::settings_from(config);
        verifier.emplace(io.get_executor(), blocking.get_executor(), resolver, settings);
        if (auto e = verifier->load()) {
            spdlog::error("verify_cache={} status=unreadable reason=\"{}\" action=start-empty",
                          settings.cache_file.string(), e.message());
        }
    }
    smtp::SessionContext ctx{
        config,
        policy::RecipientPolicy(config, load_recipient_files(config), &customers),
        spool,
        load_users(config),
        make_tls(config),
        blocking,
        dnsbl ? &*dnsbl : nullptr,
        smtp::ConnectionCounter(config.limits.connections_per_ip, config.limits.connections),
        smtp::AuthFailures(
            std::chrono::duration_cast<std::chrono::milliseconds>(config.auth.failure_delay)),
        verifier ? &*verifier : nullptr,
        flush_domain};
    smtp::Server server(io, ctx);
    server.start();

    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int sig) {
        spdlog::info("status=stopping signal={}", sig);
        server.stop();
        io.stop();
    });
    spdlog::info("status=started hostname={} spool={} queued={}", config.server.hostname,
                 config.server.spool, spool.size());
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : workers) t.join();
    blocking.join();
    control.stop();
    spdlog::info("status=stopped");
    return 0;
}

// Holdfast watches itself before it listens: the relay battery through the
// live policy as an outside client. 0 when closed; 2 (after saying which
// vector and which setting) when it would relay.
int check_self(const config::Config& config, const policy::CustomerDomains& customers) {
    policy::RecipientPolicy live(config, {}, &customers);
    std::vector<std::string> domains;
    for (const auto& [d, _] : *customers.snapshot()) domains.push_back(d);
    auto failure = self_relay_check(
        config, [&](const mail::Address& a, const policy::Client& c) { return live.decide(a, c); },
        domains);
    if (!failure) {
        spdlog::info("self-check status=closed vectors=ok");
        return 0;
    }
    spdlog::critical("{}", failure->str());
    return 2;
}

}  // namespace

int serve(const config::Config& config) {
    setup_logging(config.log_level);
    std::error_code ec;
    if (auto e = util::ensure_directory(config.server.spool)) {
        spdlog::critical("spool {}: {}", config.server.spool, e.message());
        return 1;
    }
    auto spool = queue::Spool::open(config.server.spool, ec);
    if (!spool) {
        spdlog::critical("spool {}: {}", config.server.spool, ec.message());
        return 1;
    }
    std::unique_ptr<store::Store> store;
    try {
        store = store::Store::open(config.store.url);
    } catch (const store::Error& e) {
        spdlog::critical("store {}: {}", config.store.url, e.what());
        return 1;
    }
    try {
        // The backup MX's customer domains, from the store; replaced when
        // `holdfast customers ...` says they changed.
        policy::CustomerDomains customers;
        customers.replace(watch::customer_domains(*store));
        if (auto failure = check_self(config, customers)) return failure;
        dns::Resolver resolver(dns::options_from(config.dns));
        // Both couriers start before the listeners: they pick up mail
        // accepted before a restart or a crash.
        delivery::LocalCourier local(*spool, config.locals);
        delivery::RemoteCourier remote(*spool, resolver, delivery::remote_settings_from(config));
        spool->set_on_stored([&local, &remote](const std::string& id) {
            local.enqueue(id);
            remote.enqueue(id);
        });
        // Unhooked before the couriers are destroyed: the spool's destructor
        // may still finish stores and would call into them.
        struct Unhook {
            queue::Spool& spool;
            ~Unhook() { spool.set_on_stored({}); }
        } unhook{*spool};
        local.start();
        remote.start();
        std::optional<watch::Watcher> watcher;
        if (config.watch.enabled) {
            watcher.emplace(*store, resolver, spool.get(), &customers,
                            watch::watcher_settings_from(config));
            watcher->start();
            spdlog::info("watch status=started store={} mx_interval={}s", config.store.url,
                         config.watch.mx_interval.count());
        }
        auto watch_requests = [&](const nlohmann::json& request) -> nlohmann::json {
            if (watcher) return watcher->handle(request);
            if (request.value("cmd", "") == "customers-changed") {
                customers.replace(watch::customer_domains(*store));
                return {{"ok", true}};
            }
            return control::error_response("this daemon runs no watch ([watch] enabled = false)");
        };
        control::Admin admin{
            *spool,
            delivery::notice_settings_from(config),
            [&remote](const std::string& domain) { remote.flush(domain); },
            [&local, &remote](const std::string& id) {
                local.enqueue(id);
                remote.enqueue(id);
            },
            [&remote](const std::string& domain) { return remote.down_reason(domain); },
            watch_requests};
        int status = run_listeners(config, std::move(admin), resolver, customers);
        if (watcher) watcher->stop();
        return status;
    } catch (const ConfigError& e) {
        spdlog::critical("{}", e.what());
        return 2;
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
}

}  // namespace holdfast::app
