// Placeholder until the module behind this command lands.
#include "cli/command.hpp"

namespace holdfast::cli {

void add_relay_test(CLI::App& app, Command& cmd) {
    CLI::App* sub = app.add_subcommand("relay-test", "(not yet available)");
    sub->allow_extras();
    sub->callback([&cmd] {
        cmd.action = [] {
            print_error("relay-test: not implemented yet");
            return 2;
        };
    });
}

}  // namespace holdfast::cli
