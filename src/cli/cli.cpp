#include "cli/cli.hpp"

#include <iostream>

#include "cli/command.hpp"

namespace holdfast::cli {

void print_error(const std::string& message) {
    std::cerr << "holdfast: " << message << "\n";
}

int run(int argc, char** argv) {
    CLI::App app{"Holdfast: mail server, backup MX, open-relay tester"};
    app.require_subcommand(1);
    Command cmd;
    add_serve(app, cmd);
    add_check_config(app, cmd);
    add_queue(app, cmd);
    add_relay_test(app, cmd);
    add_rbl(app, cmd);
    add_customers(app, cmd);
    add_violations(app, cmd);
    add_watch(app, cmd);
    add_reload(app, cmd);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        print_error(e.what());
        return 2;
    }
    if (!cmd.action) return 2;
    try {
        return cmd.action();
    } catch (const std::exception& e) {
        print_error(e.what());
        return 2;
    }
}

}  // namespace holdfast::cli
