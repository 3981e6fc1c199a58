// holdfast metrics [-c FILE]: the running daemon's metrics in the
// Prometheus text format (what the web server serves at /metrics), asked
// over the control socket. The counters live in the daemon's memory: with
// no daemon there is nothing to show (exit 1).
#include <iostream>

#include "cli/command.hpp"
#include "config/config.hpp"
#include "control/client.hpp"
#include "control/server.hpp"

namespace holdfast::cli {

namespace {

int print_metrics(const Command& cmd) {
    config::LoadResult r = config::load_file(cmd.config_path);
    if (!r.config) {
        print_error(r.diagnostics.empty() ? cmd.config_path + ": invalid configuration"
                                          : r.diagnostics.front().str());
        return 2;
    }
    nlohmann::json response;
    auto ec = control::call_daemon(control::control_socket_path(r.config->server.spool),
                                   {{"cmd", "metrics"}}, response, std::chrono::seconds(30));
    if (control::no_daemon(ec)) {
        print_error("no daemon is running (metrics live in `holdfast serve`)");
        return 1;
    }
    if (ec) {
        print_error("the daemon did not answer: " + ec.message());
        return 1;
    }
    if (!response.value("ok", false) || !response["text"].is_string()) {
        print_error(response.value("error", std::string("the daemon sent no metrics")));
        return 1;
    }
    std::cout << response["text"].get<std::string>();
    return 0;
}

}  // namespace

void add_metrics(CLI::App& app, Command& cmd) {
    CLI::App* sub = app.add_subcommand("metrics", "The daemon's metrics (Prometheus text format)");
    sub->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    sub->callback([&cmd] { cmd.action = [&cmd] { return print_metrics(cmd); }; });
}

}  // namespace holdfast::cli
