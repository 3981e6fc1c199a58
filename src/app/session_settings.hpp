#pragma once
// The SMTP sessions' settings built from one configuration: the policy with
// its recipient files, the users file, the TLS context and the DNSBL
// checker. Used at start and by every reload, so both read the same files
// the same way.
#include <memory>
#include <stdexcept>

#include "config/config.hpp"
#include "smtp/server/context.hpp"

namespace holdfast::dns {
class Resolver;
}
namespace holdfast::policy {
class CustomerDomains;
}

namespace holdfast::app {

// A problem with what the configuration points at (users file, TLS files,
// recipient files): like a bad config, it makes serve exit 2 (CONTRACT) and
// a reload refused.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws ConfigError naming the file and what is wrong with it.
std::shared_ptr<const smtp::SessionSettings> make_session_settings(
    std::shared_ptr<const config::Config> config, const policy::CustomerDomains& customers,
    dns::Resolver& resolver);

// The client limits `config` asks for, the total capped at max_connections
// (what the descriptor limit allows).
smtp::ConnectionCounter::Limits connection_limits(const config::Config& config,
                                                  unsigned max_connections);

}  // namespace holdfast::app
