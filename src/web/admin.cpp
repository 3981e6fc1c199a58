#include "web/admin.hpp"

#include <spdlog/spdlog.h>

#include <random>
#include <stdexcept>

#include "auth/users_file.hpp"
#include "util/file.hpp"

namespace holdfast::web {
using json = nlohmann::json;

namespace {

constexpr const char* kSessionCookie = "hf_admin";
constexpr const char* kLoginCookie = "hf_login";  // the login form's CSRF token (double submit)
constexpr std::size_t kMaxSessions = 1000;

std::string cookie(const char* name, const std::string& value, bool secure, long max_age) {
    std::string c = std::string(name) + "=" + value + "; Path=/admin; HttpOnly; SameSite=Strict";
    if (secure) c += "; Secure";
    if (max_age >= 0) c += "; Max-Age=" + std::to_string(max_age);
    return c;
}

Outcome forbidden(std::string words) {
    Outcome o;
    o.status = 403;
    o.page = "refused";
    o.data = {{"error", std::move(words)}, {"status", 403}};
    return o;
}

std::string time_text(store::TimePoint t) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

}  // namespace

std::string random_token() {
    std::random_device rd;  // getrandom(2) on Linux
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 32; ++i) {
        unsigned v = rd() & 0xff;
        out += kHex[v >> 4];
        out += kHex[v & 15];
    }
    return out;
}

std::string cookie_value(const std::string& header, const std::string& name) {
    std::string_view rest = header;
    while (!rest.empty()) {
        std::size_t semi = rest.find(';');
        std::string_view part = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.size() > name.size() && part.substr(0, name.size()) == name &&
            part[name.size()] == '=') {
            return std::string(part.substr(name.size() + 1));
        }
    }
    return "";
}

bool same_secret(const std::string& a, const std::string& b) {
    if (a.size() != b.size() || a.empty()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

Admin::Admin(store::Store& store, AdminSettings s, std::function<void()> customers_changed)
    : store_(store),
      s_(std::move(s)),
      customers_changed_(std::move(customers_changed)),
      client_failures_(s_.max_failures, s_.lockout),
      user_failures_(4 * s_.max_failures, s_.lockout) {
    if (s_.users_file.empty()) return;
    std::string text;
    if (auto ec = util::read_file(s_.users_file, text)) {
        throw std::runtime_error("[web] admins " + s_.users_file + ": " + ec.message());
    }
    std::vector<auth::UsersFile::LoadError> errors;
    auto users = auth::UsersFile::parse(text, errors);
    if (!errors.empty()) {
        throw std::runtime_error("[web] admins " + s_.users_file + ":" +
                                 std::to_string(errors[0].line) + ": " + errors[0].message);
    }
    users_ = std::make_unique<auth::UsersFile>(std::move(users));
}

Admin::~Admin() = default;

std::optional<Admin::Session> Admin::session_of(const std::string& cookies) {
    std::string token = cookie_value(cookies, kSessionCookie);
    if (token.empty()) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = sessions_.find(token);
    if (it == sessions_.end()) return std::nullopt;
    if (it->second.expires < Clock::now()) {
        sessions_.erase(it);
        return std::nullopt;
    }
    return it->second;
}

Outcome Admin::login_page(int status, const std::string& error) {
    Outcome o;
    o.status = status;
    o.page = "admin_login";
    std::string token = random_token();
    o.data = {{"csrf", token}, {"error", error}};
    o.headers.emplace_back("Set-Cookie", cookie(kLoginCookie, token, s_.secure_cookies, 3600));
    return o;
}

Outcome Admin::login(const Params& form, const std::string& cookies, const std::string& client) {
    auto field = [&](const char* k) {
        auto it = form.find(k);
        return it == form.end() ? std::string() : it->second;
    };
    if (!same_secret(field("csrf"), cookie_value(cookies, kLoginCookie))) {
        return forbidden("The form was sent without its security token. Reload the login page.");
    }
    std::string user = field("user"), password = field("password");
    auto now = Clock::now();
    for (auto [limiter, key] :
         {std::pair{&user_failures_, user}, std::pair{&client_failures_, client}}) {
        if (limiter->retry_at(key, now) > now) {
            spdlog::warn("web admin user=\"{}\" client={} status=locked-out", user, client);
            Outcome o = login_page(429, "Too many failed logins. Try again later.");
            o.retry_after =
                std::chrono::ceil<std::chrono::seconds>(limiter->retry_at(key, now) - now);
            return o;
        }
    }
    auto hash = users_->hash_of(user);
    // A missing user costs a hash check too: the answer's timing does not tell.
    bool ok = auth::verify_password(password, hash ? *hash : "$6$saltsalt$x") && hash;
    if (!ok) {
        user_failures_.allow(user, now);
        client_failures_.allow(client, now);
        spdlog::warn("web admin user=\"{}\" client={} status=login-failed", user, client);
        return login_page(403, "Wrong user name or password.");
    }
    std::string token = random_token();
    {
        std::lock_guard lock(mu_);
        for (auto it = sessions_.begin(); it != sessions_.end();) {
            it = it->second.expires < now ? sessions_.erase(it) : std::next(it);
        }
        if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
        sessions_[token] = {user, random_token(), now + s_.session_ttl};
    }
    spdlog::info("web admin user=\"{}\" client={} status=logged-in", user, client);
    Outcome o;
    o.location = "/admin";
    o.headers.emplace_back(
        "Set-Cookie", cookie(kSessionCookie, token, s_.secure_cookies, s_.session_ttl.count()));
    return o;
}

Outcome Admin::overview(const Session& s) {
    json customers = json::array();
    for (const auto& c : store_.customers()) {
        bool suspended = c.status == store::Status::suspended;
        customers.push_back({{"name", c.name},
                             {"status", store::status_name(c.status)},
                             {"suspended", suspended},
                             {"domains", c.domains},
                             {"networks", c.networks},
                             {"emails", c.emails}});
    }
    json violations = json::array();
    for (const auto& v : store_.violations()) {
        violations.push_back({{"id", v.id},
                              {"customer", v.customer},
                              {"found", time_text(v.found)},
                              {"target", v.target},
                              {"charge", v.charge},
                              {"status", v.open ? "open" : "resolved"},
                              {"paid", v.paid},
                              {"test", v.test}});
    }
    Outcome o;
    o.page = "admin";
    o.data = {
        {"user", s.user}, {"csrf", s.csrf}, {"customers", customers}, {"violations", violations}};
    return o;
}

Outcome Admin::handle(const std::string& method, const std::string& path, const Params& form,
                      const std::string& cookies, const std::string& client) {
    if (!users_) {
        Outcome o;
        o.status = 404;
        o.page = "refused";
        o.data = {{"error", "The admin pages are off ([web] admins is not set)."}, {"status", 404}};
        return o;
    }
    if (path == "/admin/login") {
        if (method == "POST") return login(form, cookies, client);
        return login_page(200, "");
    }
    auto s = session_of(cookies);
    if (!s) {
        Outcome o;
        o.location = "/admin/login";
        return o;
    }
    if (method != "POST") {
        if (path == "/admin") return overview(*s);
        Outcome o;
        o.status = 404;
        o.page = "refused";
        o.data = {{"error", "There is no admin page here."}, {"status", 404}};
        return o;
    }
    auto csrf = form.find("csrf");
    if (csrf == form.end() || !same_secret(csrf->second, s->csrf)) {
        spdlog::warn("web admin user=\"{}\" client={} path={} status=csrf-refused", s->user, client,
                     path);
        return forbidden("The form was sent without its security token: refused.");
    }
    Outcome back;
    back.location = "/admin";
    if (path == "/admin/logout") {
        std::lock_guard lock(mu_);
        sessions_.erase(cookie_value(cookies, kSessionCookie));
        back.location = "/admin/login";
        back.headers.emplace_back("Set-Cookie", cookie(kSessionCookie, "", s_.secure_cookies, 0));
        spdlog::info("web admin user=\"{}\" client={} status=logged-out", s->user, client);
        return back;
    }
    // /admin/customers/NAME/suspend | unsuspend
    const std::string prefix = "/admin/customers/";
    if (path.starts_with(prefix)) {
        std::string rest = path.substr(prefix.size());
        auto slash = rest.rfind('/');
        std::string name = rest.substr(0, slash), action = rest.substr(slash + 1);
        if (slash != std::string::npos && (action == "suspend" || action == "unsuspend")) {
            auto status = action == "suspend" ? store::Status::suspended : store::Status::active;
            if (!store_.set_status(name, status)) {
                return forbidden("There is no customer " + name + ".");
            }
            if (customers_changed_) customers_changed_();
            spdlog::info("web admin user=\"{}\" customer={} status={}", s->user, name,
                         store::status_name(status));
            return back;
        }
    }
    Outcome o;
    o.status = 404;
    o.page = "refused";
    o.data = {{"error", "There is no admin action here."}, {"status", 404}};
    return o;
}

}  // namespace holdfast::web
