// holdfast check-config -c FILE: every problem as FILE:LINE: what; exit 2.
// Then the self relay check serve runs before it listens (the relay
// battery through the policy as an outside client), on the config alone.
#include <iostream>

#include "app/self_check.hpp"
#include "cli/command.hpp"
#include "config/config.hpp"

namespace holdfast::cli {

void add_check_config(CLI::App& app, Command& cmd) {
    CLI::App* sub = app.add_subcommand("check-config", "Validate a configuration file");
    sub->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    sub->callback([&cmd] {
        cmd.action = [&cmd] {
            config::LoadResult r = config::load_file(cmd.config_path);
            for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
            if (!r.config) return 2;
            policy::RecipientPolicy policy(*r.config);
            auto failure = app::self_relay_check(
                *r.config, [&](const mail::Address& a, const policy::Client& c) {
                    return policy.decide(a, c);
                });
            if (failure) {
                std::cerr << cmd.config_path << ": " << failure->str() << "\n";
                return 2;
            }
            std::cout << cmd.config_path << ": ok\n";
            return 0;
        };
    });
}

}  // namespace holdfast::cli
