#pragma once
// What every session shares: built once by the app, read by all sessions.
// Mutable shared state here is internally synchronised (limits, spool).
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "auth/users_file.hpp"
#include "config/config.hpp"
#include "policy/recipient_policy.hpp"
#include "smtp/server/client_limits.hpp"

namespace boost::asio {
class thread_pool;
namespace ssl {
class context;
}
}  // namespace boost::asio
namespace holdfast::queue {
class Spool;
}
namespace holdfast::dnsbl {
class Checker;
}
namespace holdfast::verify {
class Verifier;
}

namespace holdfast::smtp {

// The rules a session runs under, all from one configuration: what a
// reload replaces. A session takes the current settings when it starts
// and keeps them to its end, so a reload never changes the rules in the
// middle of a conversation, and the old settings go when their last
// session does.
struct SessionSettings {
    std::shared_ptr<const config::Config> config;
    policy::RecipientPolicy policy;                  // refers into *config
    std::shared_ptr<const auth::UsersFile> users;    // null: AUTH not offered
    std::shared_ptr<boost::asio::ssl::context> tls;  // null: no STARTTLS / submissions
    std::shared_ptr<const dnsbl::Checker> dnsbl;     // null: no [dnsbl] zones
};

class SessionContext {
  public:
    SessionContext(std::shared_ptr<const SessionSettings> settings, queue::Spool& spool,
                   boost::asio::thread_pool& blocking_pool, ConnectionCounter::Limits limits,
                   std::chrono::milliseconds auth_failure_delay)
        : spool(spool),
          blocking_pool(blocking_pool),
          connections(std::move(limits)),
          auth_failures(auth_failure_delay),
          settings_(std::move(settings)) {}

    std::shared_ptr<const SessionSettings> settings() const {
        std::lock_guard lock(mu_);
        return settings_;
    }
    // A reload: sessions that start from now on run under `s`, and the
    // client limits are `limits` for connections from now on.
    void replace(std::shared_ptr<const SessionSettings> s, ConnectionCounter::Limits limits);

    queue::Spool& spool;
    boost::asio::thread_pool& blocking_pool;  // crypt(3) runs here, not on I/O threads
    ConnectionCounter connections;
    AuthFailures auth_failures;
    verify::Verifier* verifier = nullptr;  // null: RCPT verification and ETRN's primary check off
    // Starts delivery of a backup domain's queue now (ETRN); empty: ETRN answers 458.
    std::function<void(const std::string& domain)> flush_domain;

  private:
    mutable std::mutex mu_;
    std::shared_ptr<const SessionSettings> settings_;
};

}  // namespace holdfast::smtp
