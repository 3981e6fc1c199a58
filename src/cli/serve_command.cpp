// holdfast serve -c FILE: the daemon. Exit 2 on a bad config.
#include <iostream>
#include <memory>

#include "app/app.hpp"
#include "cli/command.hpp"
#include "config/config.hpp"

namespace holdfast::cli {

void add_serve(CLI::App& app, Command& cmd) {
    CLI::App* sub =
        app.add_subcommand("serve", "Run the mail server (SMTP listeners, queue, delivery)");
    sub->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    auto allow_root = std::make_shared<bool>(false);
    sub->add_flag("--allow-root", *allow_root,
                  "Keep running as root when started as root without server.user");
    sub->callback([&cmd, allow_root] {
        cmd.action = [&cmd, allow_root] {
            config::LoadResult r = config::load_file(cmd.config_path);
            for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
            if (!r.config) {
                print_error(cmd.config_path + ": invalid configuration, not starting");
                return 2;
            }
            return app::serve(*r.config, *allow_root);
        };
    });
}

}  // namespace holdfast::cli
