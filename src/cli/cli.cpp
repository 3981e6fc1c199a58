#include "cli/cli.hpp"

#include <filesystem>
#include <iostream>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "cli/sendmail_command.hpp"

namespace holdfast::cli {

void print_error(const std::string& message) {
    std::cerr << "holdfast: " << message << "\n";
}

int run(int argc, char** argv) {
    // sendmail's flags are Postfix's, not CLI11's: dispatched before it.
    // Through a symlink named sendmail (or mailq: the queue listing).
    std::string self = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "";
    if (self == "sendmail" || self == "mailq") {
        std::vector<std::string> args(argv + 1, argv + argc);
        if (self == "mailq") args.insert(args.begin(), "-bp");
        return run_sendmail(args);
    }
    if (argc > 1 && std::string_view(argv[1]) == "sendmail") {
        return run_sendmail(std::vector<std::string>(argv + 2, argv + argc));
    }
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
    add_dkim(app, cmd);
    add_metrics(app, cmd);
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
