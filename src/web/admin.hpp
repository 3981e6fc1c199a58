#pragma once
// The admin pages' gate and actions: logins from the [web] admins file
// (user:crypt-hash lines, as [auth] users), sessions in cookies (HttpOnly,
// SameSite=Strict, Secure under TLS), a CSRF token on every form (a POST
// without the right one is refused, 403), lock-out after repeated failures
// (per user and per client address); HTTP Basic with the same users (and
// the same lock-out) for scripts using the admin API. Behind the gate,
// admin_views.hpp shows and does what an admin asks.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/store.hpp"
#include "web/admin_views.hpp"
#include "web/guard.hpp"
#include "web/handlers.hpp"
#include "web/request_target.hpp"
#include "web/secret.hpp"

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
    Admin(AdminServices services, AdminSettings s);
    ~Admin();

    // GET/POST under /admin (pages): `form` is a POST's fields or a GET's
    // query. `cookies` is the Cookie header as sent.
    Outcome handle(const std::string& method, const std::string& path, const Params& form,
                   const std::string& cookies, const std::string& client);

    // The admin API, /api/v1/admin/...: `path` is the part after /api/v1.
    // Authenticated by HTTP Basic (`authorization`, the header as sent) or
    // by a page session's cookie. A POST must carry a JSON object body
    // (Content-Type application/json): a form on another site cannot send
    // one, which is what stands in for the pages' CSRF token.
    Outcome api(const std::string& method, const std::string& path, const Params& query,
                const std::string& body, const std::string& content_type,
                const std::string& authorization, const std::string& cookies,
                const std::string& client);

  private:
    struct Session {
        std::string user, csrf;
        Clock::time_point expires;
    };
    std::optional<Session> session_of(const std::string& cookies);
    Outcome login(const Params& form, const std::string& cookies, const std::string& client);
    Outcome login_page(int status, const std::string& error);
    // nullopt when `user` may log in with `password`; else the refusal
    // (wrong password: 403, locked out: 429), the failure counted.
    std::optional<Outcome> refuse_login(const std::string& user, const std::string& password,
                                        const std::string& client);

    AdminViews views_;
    AdminSettings s_;
    std::unique_ptr<auth::UsersFile> users_;
    RateLimiter client_failures_, user_failures_;
    std::mutex mu_;
    std::map<std::string, Session> sessions_;  // by token
};

// The value of cookie `name` in a Cookie header, "" if absent.
std::string cookie_value(const std::string& header, const std::string& name);

}  // namespace holdfast::web
