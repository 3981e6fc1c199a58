#pragma once
namespace holdfast::cli {
// Parses the command line, runs the subcommand, returns the exit status.
int run(int argc, char** argv);
}  // namespace holdfast::cli
