// The one place that constructs the modules and connects them.
#include "app/app.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <functional>
#include <thread>

#include "app/daemon_metrics.hpp"
#include "app/fd_limit.hpp"
#include "app/logging.hpp"
#include "app/privileges.hpp"
#include "app/reload.hpp"
#include "app/self_check.hpp"
#include "app/service_manager.hpp"
#include "app/session_settings.hpp"
#include "control/protocol.hpp"
#include "control/server.hpp"
#include "control/submit_server.hpp"
#include "delivery/local_courier.hpp"
#include "delivery/remote_courier.hpp"
#include "dns/resolver.hpp"
#include "dnsbl/checker.hpp"
#include "queue/spool.hpp"
#include "scan/scanner.hpp"
#include "smtp/server/server.hpp"
#include "store/store.hpp"
#include "util/file.hpp"
#include "util/thread_name.hpp"
#include "verify/verifier.hpp"
#include "watch/queue_sampler.hpp"
#include "watch/watcher.hpp"
#include "web/server.hpp"

namespace holdfast::app {
namespace asio = boost::asio;
namespace {

// How long sessions may take to finish what they are doing after SIGTERM,
// and then how long cut connections may take to unwind.
constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr auto kCutGrace = std::chrono::seconds(5);

// After Server::stop(): waits until no session is left (cutting the slow
// ones after kStopGrace), then stops the I/O threads. A named coroutine,
// not a capturing lambda (GCC 12 double-frees captures).
asio::awaitable<void> stop_when_drained(smtp::Server& server, asio::io_context& io) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto started = std::chrono::steady_clock::now();
    bool cut = false;
    for (;;) {
        auto waited = std::chrono::steady_clock::now() - started;
        std::size_t left = server.active();
        if (left == 0) break;
        if (waited > kStopGrace + kCutGrace) {
            spdlog::error("status=stopping sessions={} reason=\"did not end\"", left);
            break;
        }
        if (!cut && waited > kStopGrace) {
            cut = true;
            spdlog::warn("status=stopping sessions={} action=cut", left);
            server.cut();
        }
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    io.stop();
}

// Holdfast watches itself before it listens: the relay battery through the
// live policy as an outside client. Empty when closed; else which vector
// and which setting would relay.
std::string relay_failure(const config::Config& config, const policy::CustomerDomains& customers) {
    policy::RecipientPolicy live(config, {}, &customers);
    std::vector<std::string> domains;
    for (const auto& [d, _] : *customers.snapshot()) domains.push_back(d);
    auto failure = self_relay_check(
        config, [&](const mail::Address& a, const policy::Client& c) { return live.decide(a, c); },
        domains);
    return failure ? failure->str() : "";
}

// The control socket and the SMTP listeners, until SIGTERM / SIGINT.
// SIGHUP and `holdfast reload` reload the config (app/reload.hpp);
// `reconfigure_delivery` hands the couriers their part of it.
int run_listeners(asio::io_context& io, std::shared_ptr<const config::Config> initial,
                  control::Admin admin, dns::Resolver& resolver,
                  const policy::CustomerDomains& customers, const std::optional<RunAs>& run_as,
                  const std::function<void()>& start_background,
                  const std::function<void(const config::Config&)>& reconfigure_delivery) {
    const config::Config& config = *initial;
    queue::Spool& spool = admin.spool;
    auto flush_domain = admin.flush;  // ETRN
    // Set once the listeners are up; until then a reload is refused.
    std::atomic<Reloader*> reloader{nullptr};
    admin.reload = [&reloader] {
        Reloader* r = reloader.load();
        if (!r) return control::error_response("the daemon is still starting");
        return r->reload().json();
    };
    // `holdfast queue ...` talks to us here instead of touching the spool.
    control::ControlServer control(std::move(admin));
    if (auto e = control.start()) {
        spdlog::critical("control socket {}: {}", control.path().string(), e.message());
        return 1;
    }
    // `holdfast sendmail` from any local user: submissions only (submit.hpp).
    control::SubmitServer submit(spool, config);
    if (auto e = submit.start()) {
        spdlog::critical("submit socket {}: {}", submit.path().string(), e.message());
        return 1;
    }
    // Every client holds a descriptor: keep `connections` within the limit,
    // with a reserve for the spool, DNS and deliveries.
    const std::uint64_t nofile = raise_nofile_limit();
    auto max_connections_for = [nofile](const config::Config& c) {
        unsigned max_connections = connections_within(c.limits.connections, nofile);
        if (max_connections < c.limits.connections) {
            max_connections = std::max(max_connections, 1u);
            spdlog::warn(
                "status=connections-capped connections={} configured={} nofile={} reason=\"the "
                "file descriptor limit leaves room for {} clients after a reserve of {}; raise "
                "LimitNOFILE (systemd) or ulimit -n\"",
                max_connections, c.limits.connections, nofile, max_connections, fd_reserve(nofile));
        }
        return max_connections;
    };
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    asio::thread_pool blocking(2);
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
    // Content scanning ([scan], src/scan/): made even while [scan] is unset,
    // so a reload that sets it needs no restart; it costs nothing idle.
    scan::Scanner scanner(io.get_executor(), config.scan.connections, &customers);
    smtp::SessionContext ctx(
        make_session_settings(initial, customers, resolver), spool, blocking,
        connection_limits(config, max_connections_for(config)),
        std::chrono::duration_cast<std::chrono::milliseconds>(config.auth.failure_delay));
    ctx.verifier = verifier ? &*verifier : nullptr;
    ctx.flush_domain = flush_domain;
    ctx.resolver = &resolver;
    ctx.scanner = &scanner;
    smtp::Server server(io, ctx);
    server.start();
    // Bound, keys and users read: from here on nothing needs root. Nothing
    // has run on io yet, and the couriers start only now, so every file
    // the daemon creates belongs to the user.
    if (run_as) {
        if (auto e = give_tree(config.server.spool, *run_as)) {
            spdlog::critical("spool {}: cannot give it to {}: {}", config.server.spool,
                             run_as->user, e.message());
            return 1;
        }
        // A SQLite store was opened (perhaps created) as root too.
        if (auto db = store::Store::sqlite_file(config.store.url); !db.empty()) {
            for (const auto& f : {db, db + "-wal", db + "-shm"}) {
                if (auto e = give_file(f, *run_as)) {
                    spdlog::critical("store {}: cannot give it to {}: {}", f, run_as->user,
                                     e.message());
                    return 1;
                }
            }
        }
        if (auto e = become(*run_as)) {
            spdlog::critical("cannot become {}: {}", run_as->user, e.message());
            return 1;
        }
        spdlog::info("status=privileges-dropped user={} uid={} gid={}", run_as->user, run_as->uid,
                     run_as->gid);
    }
    start_background();

    // Reload: everything that can refuse (the file, the self-check, users,
    // TLS, recipient files, new listeners) before anything changes.
    std::shared_ptr<const smtp::SessionSettings> prepared;
    std::shared_ptr<const config::Config> prepared_config;
    Reloader reload_config(
        initial, ReloadTargets{[&](std::shared_ptr<const config::Config> next) -> std::string {
                                   if (auto failure = relay_failure(*next, customers);
                                       !failure.empty()) {
                                       return failure;
                                   }
                                   prepared = make_session_settings(next, customers, resolver);
                                   prepared_config = next;
                                   return server.reconfigure(next->listen);
                               },
                               [&] {
                                   const config::Config& c = *prepared_config;
                                   ctx.replace(std::move(prepared),
                                               connection_limits(c, max_connections_for(c)));
                                   reconfigure_delivery(c);
                               }});
    reloader.store(&reload_config);
    asio::signal_set hangup(io, SIGHUP);
    std::function<void()> on_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            // Off the I/O threads: reading files and binding may block.
            asio::post(blocking, [&] { reload_config.reload(); });
            on_hangup();
        });
    };
    on_hangup();

    // Stopping, in this order (docs/operations.md): no new connections;
    // sessions waiting for a command get 421, those in the middle of DATA
    // finish it (their message stored and acknowledged, or not at all);
    // after kStopGrace the rest are cut; only when no session is left
    // (nothing waits for the spool's writer any more, nothing holds a
    // ConnectionSlot) do the I/O threads stop, and the remote courier's
    // attempts with them (the context itself goes in serve, after the
    // couriers). Stopping io_context first destroyed live sessions'
    // coroutine frames after the SessionContext they point into: a double
    // free at every busy stop.
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("status=stopping signal={} sessions={}", sig, server.active());
        reloader.store(nullptr);
        hangup.cancel();
        notify_stopping();
        server.stop();
        asio::co_spawn(io, stop_when_drained(server, io), asio::detached);
    });
    spdlog::info("status=started hostname={} spool={} queued={}", config.server.hostname,
                 config.server.spool, spool.size());
    notify_ready();
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i)
        workers.emplace_back([&] {
            util::name_this_thread("hf-smtp");
            io.run();
        });
    io.run();
    for (auto& t : workers) t.join();
    blocking.join();
    reloader.store(nullptr);
    control.stop();
    spdlog::info("status=stopped");
    return 0;
}

// 0 when closed; 2 (after saying which vector and which setting) when it
// would relay.
int check_self(const config::Config& config, const policy::CustomerDomains& customers) {
    auto failure = relay_failure(config, customers);
    if (failure.empty()) {
        spdlog::info("self-check status=closed vectors=ok");
        return 0;
    }
    spdlog::critical("{}", failure);
    return 2;
}

}  // namespace

int serve(const config::Config& config, bool allow_root) {
    setup_logging(config.log_level);
    std::optional<RunAs> run_as;
    try {
        run_as = run_as_from(config, allow_root);
    } catch (const std::runtime_error& e) {
        spdlog::critical("{}", e.what());
        return 2;
    }
    std::error_code ec;
    if (auto e = util::ensure_directory(config.server.spool)) {
        spdlog::critical("spool {}: {}", config.server.spool, e.message());
        return 1;
    }
    auto spool = queue::Spool::open(config.server.spool, ec, {.first_segment_ahead = true});
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
        // The SMTP sessions and the remote courier (a strand of it), run by
        // one thread per core in run_listeners. Hint 1 although several
        // threads run it: Asio then leaves what a thread's own epoll_wait
        // returned (and what its handlers post) to that thread, instead of
        // waking an idle one to share each batch (a futex wake and a context
        // switch every time). Work posted from other threads (spool writer,
        // local courier, resolver) still wakes an idle one, and every lock
        // stays (only the UNSAFE hints drop them). Handlers here are short
        // (blocking work goes to `blocking`), so little waits behind one.
        // bench/profile.md: 2.7 instead of 5.4 futex calls and 10 % less CPU
        // a message with a connection per message; the same with `-d`.
        // Declared before the couriers: it outlives them, and the courier's
        // timer and connections go before it.
        asio::io_context io(1);
        // Both couriers start before anything is served (io runs only
        // later), after the switch to server.user: they pick up mail
        // accepted before a restart or a crash.
        delivery::LocalCourier local(*spool, config.locals, delivery::local_settings_from(config));
        delivery::RemoteCourier remote(io, *spool, resolver,
                                       delivery::remote_settings_from(config));
        spool->set_on_stored([&local, &remote](const queue::Envelope& env) {
            local.enqueue(env);
            remote.enqueue(env);
        });
        // Unhooked before the couriers are destroyed: the spool's destructor
        // may still finish stores and would call into them.
        struct Unhook {
            queue::Spool& spool;
            ~Unhook() { spool.set_on_stored({}); }
        } unhook{*spool};
        std::optional<watch::Watcher> watcher;
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
            [&local, &remote](const std::string& domain) {
                local.flush(domain);
                remote.flush(domain);
            },
            [&local, &remote](const std::string& id) {
                local.enqueue(id);
                remote.enqueue(id);
            },
            [&remote](const std::string& domain) { return remote.down_reason(domain); },
            [&remote](const std::string& domain) { return remote.next_probe(domain); },
            [&remote](const std::string& id) { return remote.in_flight(id); },
            watch_requests};
        // /metrics: the event counters and the gauges of the queue per backup
        // domain (daemon_metrics.hpp). admin.metrics_text answers the control
        // socket's {"cmd":"metrics"}; the web server serves the same text.
        BackupDomains backups(config.backups, customers);
        auto backup_domains = [&backups] { return backups.now(); };
        metrics::Registry metrics_registry;
        describe_daemon(metrics_registry, {*spool, backup_domains, [&remote](const std::string& d) {
                                               return remote.down_reason(d);
                                           }});
        admin.metrics_text = [&metrics_registry] { return metrics_registry.text(); };
        // The same domains' queue into the store every [watch] sample_interval
        // (the admin pages' pictures); stopped before the store and spool go.
        watch::SamplerSettings sampling;
        sampling.interval = config.watch.sample_interval;
        sampling.domains = backup_domains;
        watch::QueueSampler sampler(*store, *spool, sampling);
        // The web face: bound here, before root is dropped (a privileged
        // port, a root-only TLS key); served from start_background on.
        std::optional<web::Server> web;
        if (!config.web.address.empty()) {
            web.emplace(config,
                        web::Services{*store, &resolver, admin.metrics_text,
                                      [&] { customers.replace(watch::customer_domains(*store)); },
                                      admin, backup_domains});
            web->bind();
        }
        // Started by run_listeners once it has dropped root: every file
        // delivery and the watch write then belongs to server.user.
        auto start_background = [&] {
            local.start();
            remote.start();
            sampler.start();
            if (web) web->start();
            if (config.watch.enabled) {
                watcher.emplace(*store, resolver, spool.get(), &customers,
                                watch::watcher_settings_from(config));
                watcher->start();
                spdlog::info("watch status=started store={} mx_interval={}s", config.store.url,
                             config.watch.mx_interval.count());
            }
        };
        auto reconfigure_delivery = [&local, &remote, &backups](const config::Config& c) {
            local.set_domains(c.locals);
            remote.set_backups(c.backups);
            backups.set_configured(c.backups);
        };
        int status =
            run_listeners(io, std::make_shared<const config::Config>(config), std::move(admin),
                          resolver, customers, run_as, start_background, reconfigure_delivery);
        if (web) web->stop();
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
