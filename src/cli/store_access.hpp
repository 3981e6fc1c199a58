#pragma once
// What the customers / violations / watch commands share: the config and
// the store it names, the daemon nudged after a change, the JSON forms.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "config/config.hpp"
#include "store/records_json.hpp"
#include "store/store.hpp"

namespace holdfast::cli {

// Loads the config, opens its store, runs fn; prints errors (exit 2).
int with_store(const Command& cmd,
               const std::function<int(store::Store&, const config::Config&)>& fn);

// Tells a running daemon that the customers changed (a new domain is served
// at once). Quiet when no daemon runs: it reads the store when it starts.
void tell_daemon(const config::Config& config);

std::string rfc3339(store::TimePoint t);
std::string join(const std::vector<std::string>& v, const std::string& sep);

}  // namespace holdfast::cli
