#include "smtp/server/context.hpp"

namespace holdfast::smtp {

void SessionContext::replace(std::shared_ptr<const SessionSettings> s,
                             ConnectionCounter::Limits limits) {
    connections.set_limits(std::move(limits));
    auth_failures.set_step(
        std::chrono::duration_cast<std::chrono::milliseconds>(s->config->auth.failure_delay));
    std::lock_guard lock(mu_);
    settings_ = std::move(s);
}

}  // namespace holdfast::smtp
