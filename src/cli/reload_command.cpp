// holdfast reload: asks the running daemon to re-read its config, as
// SIGHUP does, and says whether it took it. Exit 0 taken, 2 refused (the
// daemon keeps the old one) or no daemon.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "config/config.hpp"
#include "control/client.hpp"
#include "control/server.hpp"

namespace holdfast::cli {

void add_reload(CLI::App& app, Command& cmd) {
    CLI::App* sub = app.add_subcommand(
        "reload", "Make the running daemon re-read its configuration (as SIGHUP)");
    sub->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    sub->callback([&cmd] {
        cmd.action = [&cmd] {
            // Only the spool's place is needed: the control socket is there.
            // The daemon reads the file it was started with, and checks it.
            config::LoadResult r = config::load_file(cmd.config_path);
            for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
            if (!r.config) {
                print_error(cmd.config_path + ": invalid configuration, not asking the daemon");
                return 2;
            }
            nlohmann::json response;
            auto ec = control::call_daemon(control::control_socket_path(r.config->server.spool),
                                           {{"cmd", "reload"}}, response, std::chrono::seconds(60));
            if (control::no_daemon(ec)) {
                print_error("no daemon runs on the spool " + r.config->server.spool);
                return 2;
            }
            if (ec) {
                print_error("the daemon did not answer: " + ec.message());
                return 2;
            }
            if (!response.value("ok", false)) {
                print_error("reload refused, the old configuration stays: " +
                            response.value("error", std::string("no reason given")));
                return 2;
            }
            std::cout << "reloaded\n";
            if (auto it = response.find("restart_needed"); it != response.end()) {
                for (const auto& s : *it) {
                    std::cout << "changed, takes effect at the next restart: "
                              << s.get<std::string>() << "\n";
                }
            }
            return 0;
        };
    });
}

}  // namespace holdfast::cli
