#pragma once
// The admin pages' gate and actions: logins from the [web] admins file
// (user:crypt-hash lines, as [auth] users), sessions in cookies (HttpOnly,
// SameSite=Strict, Secure under TLS), a CSRF token on every form (a POST
// without the right one is refused, 403), lock-out after repeated failures
// (per user and per client address), and what the pages show and do:
// customers (suspend / unsuspend) and violations.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/store.hpp"
#include "web/guard.hpp"
#include "web/handlers.hpp"
#include "web/request_target.hpp"

namespace holdfast::auth {
class UsersFile;
}

namespace holdfast::web {

struct AdminSettings {
    std::string users_file;  // "" = admin pages off
    bool secure_cookies = false;
    std::chrono::seconds session_ttl{8 * 3600};
    // Failed logins per lockout window from one client address; a user name
    // takes 4 times as many (from many addresses) before it is locked too,
    // so one guesser cannot lock the staff out.
    std::size_t max_failures = 5;
    std::chrono::seconds lockout{900};
};

class Admin {
  public:
    // Reads the users file now (before the daemon drops root); throws
    // std::runtime_error naming FILE:LINE when it is unreadable or malformed.
    Admin(store::Store& store, AdminSettings s, std::function<void()> customers_changed);
    ~Admin();

    // GET/POST under /admin. `cookies` is the Cookie header as sent.
    Outcome handle(const std::string& method, const std::string& path, const Params& form,
                   const std::string& cookies, const std::string& client);

  private:
    struct Session {
        std::string user, csrf;
        Clock::time_point expires;
    };
    std::optional<Session> session_of(const std::string& cookies);
    Outcome login(const Params& form, const std::string& cookies, const std::string& client);
    Outcome login_page(int status, const std::string& error);
    Outcome overview(const Session& s);

    store::Store& store_;
    AdminSettings s_;
    std::function<void()> customers_changed_;
    std::unique_ptr<auth::UsersFile> users_;
    RateLimiter client_failures_, user_failures_;
    std::mutex mu_;
    std::map<std::string, Session> sessions_;  // by token
};

// 32 random bytes as hex (session ids, CSRF tokens).
std::string random_token();
// The value of cookie `name` in a Cookie header, "" if absent.
std::string cookie_value(const std::string& header, const std::string& name);
// Equal strings, in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b);

}  // namespace holdfast::web
