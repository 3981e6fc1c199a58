#include "control/protocol.hpp"

#include <ctime>

#include "util/base64.hpp"
#include "util/time_text.hpp"

namespace holdfast::control {

using queue::RecipientState;

std::string rfc3339(std::chrono::system_clock::time_point t) {
    return util::rfc3339(t);
}

json message_json(const queue::Envelope& env) {
    json pending = json::array(), details = json::array();
    std::string last_error;
    for (const auto& r : env.recipients) {
        details.push_back({{"address", r.address},
                           {"kind", queue::kind_name(r.kind)},
                           {"state", queue::state_name(r.state)},
                           {"last_error", r.last_error},
                           {"notify", mail::dsn_notify_name(r.notify)},
                           {"orcpt", r.orcpt}});
        if (r.state != RecipientState::pending) continue;
        pending.push_back(r.address);
        if (last_error.empty()) last_error = r.last_error;
    }
    // No attempt planned yet means "due now": the arrival time says that
    // and keeps the field a valid time for scripts.
    auto next = env.next_attempt == std::chrono::system_clock::time_point{} ? env.arrival
                                                                            : env.next_attempt;
    return {{"id", env.id},
            {"sender", env.sender},
            {"recipients", pending},
            {"size", env.size},
            {"arrival", rfc3339(env.arrival)},
            {"next_attempt", rfc3339(next)},
            {"last_error", last_error},
            {"client", env.client},
            {"auth_user", env.auth_user},
            {"smtputf8", env.smtputf8},
            {"ret", mail::dsn_return_name(env.ret)},
            {"envid", env.envid},
            {"warned", env.warned},
            {"attempts", env.attempts},
            {"held", env.held},
            {"recipient_details", details}};
}

json error_response(const std::string& what, bool not_found) {
    return {{"ok", false}, {"error", what}, {"not_found", not_found}};
}

}  // namespace holdfast::control
