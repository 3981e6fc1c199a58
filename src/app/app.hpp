#pragma once
#include "config/config.hpp"

namespace holdfast::app {

// `holdfast serve`: builds every module from the config, connects them, runs
// until SIGTERM/SIGINT. Returns the process exit status.
int serve(const config::Config& config);

}  // namespace holdfast::app
