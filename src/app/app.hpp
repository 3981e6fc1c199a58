#pragma once
#include "config/config.hpp"

namespace holdfast::app {

// `holdfast serve`: builds every module from the config, connects them, runs
// until SIGTERM/SIGINT. Returns the process exit status. Started as root it
// runs as server.user once the listeners are bound; root without one is
// refused (exit 2) unless allow_root.
int serve(const config::Config& config, bool allow_root = false);

}  // namespace holdfast::app
