#pragma once
// Reload (SIGHUP, `holdfast reload`): the config file is read and checked
// again (with the relay self-check serve runs at start); when it passes,
// the SMTP side is swapped without dropping sessions in progress:
// listeners, TLS context, users, recipients, limits, DNSBL zones, and the
// local and backup domains' delivery settings. A config that fails any
// check is logged and refused, and the old one stays in force. Settings
// that only a restart can change (the spool, the user, the store, ...) are
// named in the answer and the log instead of being half applied.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace holdfast::app {

struct ReloadResult {
    bool ok = false;
    std::string error;                        // why refused, when !ok
    std::vector<std::string> restart_needed;  // changed settings a reload does not apply
    nlohmann::json json() const;
};

// What a reload acts on, in two steps: `prepare` checks the new config and
// builds everything that reads files or binds ports, and may refuse (a
// failure text, or a thrown exception) with nothing changed; `commit` then
// puts it in force and cannot fail.
struct ReloadTargets {
    std::function<std::string(std::shared_ptr<const config::Config>)> prepare;
    std::function<void()> commit;
};

class Reloader {
  public:
    Reloader(std::shared_ptr<const config::Config> current, ReloadTargets targets)
        : current_(std::move(current)), targets_(std::move(targets)) {}
    // One reload at a time; thread-safe. Reads current()->path.
    ReloadResult reload();
    std::shared_ptr<const config::Config> current() const;

  private:
    mutable std::mutex mu_;
    std::shared_ptr<const config::Config> current_;
    ReloadTargets targets_;
};

// The settings that differ between a and b and that only a restart applies.
std::vector<std::string> restart_needed(const config::Config& a, const config::Config& b);

}  // namespace holdfast::app
