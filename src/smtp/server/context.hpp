#pragma once
// What every session shares: built once by the app, read by all sessions.
// Mutable shared state here is internally synchronised (limits, spool).
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/users_file.hpp"
#include "config/config.hpp"
#include "policy/recipient_policy.hpp"
#include "smtp/server/client_limits.hpp"

namespace holdfast::queue {
class Spool;
}
namespace holdfast::dnsbl {
class Checker;
}
namespace holdfast::verify {
class Verifier;
}
namespace holdfast::scan {
class Scanner;
}

namespace holdfast::smtp {

struct SessionContext {
    const config::Config& config;
    policy::RecipientPolicy policy;
    queue::Spool& spool;
    std::shared_ptr<const auth::UsersFile> users;  // null: AUTH not offered
    std::optional<boost::asio::ssl::context> tls;  // empty: no STARTTLS / submissions
    boost::asio::thread_pool& blocking_pool;       // crypt(3) runs here, not on I/O threads
    const dnsbl::Checker* dnsbl;                   // null: no [dnsbl] zones
    ConnectionCounter connections;
    AuthFailures auth_failures;
    verify::Verifier* verifier = nullptr;  // null: RCPT verification and ETRN's primary check off
    // Starts delivery of a backup domain's queue now (ETRN); empty: ETRN answers 458.
    std::function<void(const std::string& domain)> flush_domain;
    scan::Scanner* scanner = nullptr;  // null: no content scanning (src/scan/)
};

}  // namespace holdfast::smtp
