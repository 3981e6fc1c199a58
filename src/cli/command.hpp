#pragma once
// How a subcommand plugs into the dispatcher: each command file defines one
// add_*() that registers its CLI11 subcommand and sets `action` to run it.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace holdfast::cli {

inline constexpr const char* kDefaultConfig = "config/holdfast.toml";

struct Command {
    std::string config_path = kDefaultConfig;
    std::function<int()> action;  // set by the chosen subcommand's callback
};

// Prints "holdfast: <message>" on stderr, the one error format of every command.
void print_error(const std::string& message);

void add_check_config(CLI::App& app, Command& cmd);
void add_serve(CLI::App& app, Command& cmd);
void add_queue(CLI::App& app, Command& cmd);
void add_relay_test(CLI::App& app, Command& cmd);
void add_rbl(CLI::App& app, Command& cmd);
void add_customers(CLI::App& app, Command& cmd);
void add_violations(CLI::App& app, Command& cmd);
void add_watch(CLI::App& app, Command& cmd);
void add_reload(CLI::App& app, Command& cmd);

}  // namespace holdfast::cli
