// holdfast watch run-once | status [--json]
// Through the running daemon's control socket; without a daemon, on the
// store (and, for run-once, the spool: notices wait there for the next start).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "control/client.hpp"
#include "control/server.hpp"
#include "dns/resolver.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"
#include "watch/watcher.hpp"

namespace holdfast::cli {
namespace {

using json = nlohmann::json;

struct WatchArgs {
    bool json_output = false;
};

void print_cycle(const json& c) {
    std::cout << fmt::format(
        "watch cycle: {} domains polled ({} changed), {} relay tests ({} open), {} new "
        "violations, {} resolved, {} blacklist checks ({} listed, {} delisted), {} notices, "
        "{:.2f}s\n",
        c.value("polled", 0), c.value("changed", 0), c.value("tested", 0), c.value("open", 0),
        c.value("violations", 0), c.value("resolved", 0), c.value("checked", 0),
        c.value("listed", 0), c.value("delisted", 0), c.value("notices", 0),
        c.value("seconds", 0.0));
}

void print_status(const json& s, bool as_json) {
    if (as_json) {
        std::cout << s.dump(2) << "\n";
        return;
    }
    std::cout << fmt::format(
        "domains {}  MX addresses {}  due: polls {}, relay tests {}, blacklist checks {}\n",
        s.value("domains", 0), s.value("targets", 0), s.value("polls_due", 0),
        s.value("tests_due", 0), s.value("checks_due", 0));
    if (s.contains("next_due") && s["next_due"].is_string()) {
        std::cout << "next due: " << s["next_due"].get<std::string>() << "\n";
    }
    if (s.contains("misconfigured")) {
        for (const auto& [domain, problems] : s["misconfigured"].items()) {
            for (const auto& p : problems) {
                std::cout << "misconfigured " << domain << ": " << p.get<std::string>() << "\n";
            }
        }
    }
    if (s.contains("last_cycle") && s["last_cycle"].is_object()) print_cycle(s["last_cycle"]);
}

// Asks the daemon; nullopt when none runs.
std::optional<json> ask_daemon(const config::Config& config, const json& request) {
    json response;
    auto ec = control::call_daemon(control::control_socket_path(config.server.spool), request,
                                   response, std::chrono::seconds(900));
    if (control::no_daemon(ec)) return std::nullopt;
    if (ec) throw std::runtime_error("the daemon did not answer: " + ec.message());
    return response;
}

int run(const Command& cmd, const WatchArgs& a, bool once) {
    return with_store(cmd, [&](store::Store& s, const config::Config& config) {
        auto reply = ask_daemon(config, {{"cmd", once ? "watch-run-once" : "watch-status"}});
        if (reply) {
            if (!reply->value("ok", false)) {
                print_error(reply->value("error", std::string("the watch failed")));
                return 2;
            }
            if (once) {
                if (a.json_output) {
                    std::cout << reply->dump(2) << "\n";
                } else {
                    print_cycle(*reply);
                }
            } else {
                print_status((*reply)["status"], a.json_output);
            }
            return 0;
        }
        // No daemon: the same work here; its log lines go to stderr.
        auto logger = spdlog::stderr_logger_mt("holdfast-watch");
        logger->set_pattern("holdfast: %v");
        logger->set_level(spdlog::level::warn);
        spdlog::set_default_logger(logger);
        dns::Resolver resolver(dns::options_from(config.dns));
        std::unique_ptr<queue::Spool> spool;
        if (once) {
            std::error_code ec;
            if (auto e = util::ensure_directory(config.server.spool)) {
                print_error("spool " + config.server.spool + ": " + e.message());
                return 2;
            }
            spool = queue::Spool::open(config.server.spool, ec);
            if (!spool) {
                print_error("spool " + config.server.spool + ": " + ec.message());
                return 2;
            }
        }
        watch::Watcher w(s, resolver, spool.get(), nullptr, watch::watcher_settings_from(config));
        if (once) {
            json c = w.run_once();
            if (a.json_output) {
                std::cout << c.dump(2) << "\n";
            } else {
                print_cycle(c);
            }
            return c.value("ok", false) ? 0 : 2;
        }
        print_status(w.status(), a.json_output);
        return 0;
    });
}

}  // namespace

void add_watch(CLI::App& app, Command& cmd) {
    auto args = std::make_shared<WatchArgs>();
    CLI::App* sub =
        app.add_subcommand("watch", "The ISP's watch: MX polls, relay tests, blacklists");
    sub->require_subcommand(1);
    for (bool once : {true, false}) {
        CLI::App* s = sub->add_subcommand(once ? "run-once" : "status",
                                          once ? "One watch cycle now" : "What is due");
        s->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
        s->add_flag("--json", args->json_output, "JSON output");
        s->callback([&cmd, args, once] {
            cmd.action = [&cmd, args, once] { return run(cmd, *args, once); };
        });
    }
}

}  // namespace holdfast::cli
