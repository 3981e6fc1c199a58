// holdfast: one binary, subcommands (see docs and CONTRACT). Dispatch only.
#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return holdfast::cli::run(argc, argv);
}
