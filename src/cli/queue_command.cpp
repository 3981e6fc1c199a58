// Placeholder until the module behind this command lands.
#include "cli/command.hpp"

namespace holdfast::cli {

void add_queue(CLI::App& app, Command& cmd) {
    CLI::App* sub = app.add_subcommand("queue", "(not yet available)");
    sub->allow_extras();
    sub->callback([&cmd] {
        cmd.action = [] {
            print_error("queue: not implemented yet");
            return 2;
        };
    });
}

}  // namespace holdfast::cli
