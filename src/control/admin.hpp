#pragma once
// What a queue admin request may touch: the spool, the settings to send a
// notice back to a sender (bounce, expire, delete --bounce), and, in the
// daemon, hooks into the couriers. Without a daemon the CLI builds one of
// these on the spool it opened itself; the hooks are then empty and the
// requests leave their effect in the spool for the next start.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "delivery/notice.hpp"
#include "queue/spool.hpp"

namespace holdfast::control {

struct Admin {
    queue::Spool& spool;
    delivery::NoticeSettings notices;
    // Try now: everything for `domain` ("" = all). Empty without a daemon.
    std::function<void(const std::string& domain)> flush;
    // A message changed (released from hold): schedule it again.
    std::function<void(const std::string& id)> reschedule;
    // Why a destination domain is down, "" if it is not (RemoteCourier).
    std::function<std::string(const std::string& domain)> down_reason;
    // When a down destination is probed next; nullopt if it is not down.
    std::function<std::optional<std::chrono::system_clock::time_point>(const std::string& domain)>
        next_probe{};
    // Whether a delivery attempt of the message is under way.
    std::function<bool(const std::string& id)> in_flight{};
    // The watch's requests ("customers-changed", "watch-run-once",
    // "watch-status"); empty when the daemon runs no watch.
    std::function<nlohmann::json(const nlohmann::json& request)> watch{};
    // Re-reads the config (as SIGHUP): {"ok", "error", "restart_needed"};
    // empty without a daemon.
    std::function<nlohmann::json()> reload{};
};

}  // namespace holdfast::control
