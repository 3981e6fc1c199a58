#include "web/admin.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "auth/users_file.hpp"
#include "util/base64.hpp"
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

// "/admin/customers/acme" -> {"customers", "acme"} (after `prefix`).
std::vector<std::string> parts_of(const std::string& path, std::size_t prefix) {
    std::vector<std::string> out;
    std::string part;
    for (std::size_t i = prefix; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (!part.empty()) out.push_back(std::move(part));
            part.clear();
        } else {
            part += path[i];
        }
    }
    return out;
}

// The admin's search, ?q=...
std::string search_of(const Params& query) {
    auto it = query.find("q");
    return it == query.end() ? "" : it->second;
}

}  // namespace

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

Admin::Admin(AdminServices services, AdminSettings s)
    : views_(std::move(services)),
      s_(std::move(s)),
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

std::optional<Outcome> Admin::refuse_login(const std::string& user, const std::string& password,
                                           const std::string& client) {
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
    if (ok) return std::nullopt;
    user_failures_.allow(user, now);
    client_failures_.allow(client, now);
    spdlog::warn("web admin user=\"{}\" client={} status=login-failed", user, client);
    return login_page(403, "Wrong user name or password.");
}

Outcome Admin::login(const Params& form, const std::string& cookies, const std::string& client) {
    auto field = [&](const char* k) {
        auto it = form.find(k);
        return it == form.end() ? std::string() : it->second;
    };
    if (!same_secret(field("csrf"), cookie_value(cookies, kLoginCookie))) {
        return refusal(403, "The form was sent without its security token. Reload the login page.");
    }
    std::string user = field("user"), password = field("password");
    if (auto refused = refuse_login(user, password, client)) return *refused;
    auto now = Clock::now();
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

Outcome Admin::handle(const std::string& method, const std::string& path, const Params& form,
                      const std::string& cookies, const std::string& client) {
    if (!users_) return refusal(404, "The admin pages are off ([web] admins is not set).");
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
    // What every admin page's forms need: the session's CSRF token.
    auto with_session = [&](Outcome o) {
        o.view["csrf"] = s->csrf;
        o.view["user"] = s->user;
        o.view["back"] = path;
        return o;
    };
    if (method != "POST") return with_session(views_.get(parts_of(path, 6), search_of(form)));
    auto csrf = form.find("csrf");
    if (csrf == form.end() || !same_secret(csrf->second, s->csrf)) {
        spdlog::warn("web admin user=\"{}\" client={} path={} status=csrf-refused", s->user, client,
                     path);
        return refusal(403, "The form was sent without its security token: refused.");
    }
    if (path == "/admin/logout") {
        std::lock_guard lock(mu_);
        sessions_.erase(cookie_value(cookies, kSessionCookie));
        Outcome back;
        back.location = "/admin/login";
        back.headers.emplace_back("Set-Cookie", cookie(kSessionCookie, "", s_.secure_cookies, 0));
        spdlog::info("web admin user=\"{}\" client={} status=logged-out", s->user, client);
        return back;
    }
    json fields = json::object();
    for (const auto& [k, v] : form) fields[k] = v;
    return with_session(views_.post(parts_of(path, 6), fields, s->user, false));
}

Outcome Admin::api(const std::string& method, const std::string& path, const Params& query,
                   const std::string& body, const std::string& content_type,
                   const std::string& authorization, const std::string& cookies,
                   const std::string& client) {
    if (!users_) return refusal(404, "The admin API is off ([web] admins is not set).");
    std::string user;
    if (authorization.starts_with("Basic ")) {
        auto decoded = util::base64_decode(authorization.substr(6));
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos) return refusal(400, "Malformed Basic credentials.");
        user = decoded->substr(0, colon);
        if (auto refused = refuse_login(user, decoded->substr(colon + 1), client)) {
            Outcome o = refusal(refused->status, refused->data.value("error", "refused"));
            o.retry_after = refused->retry_after;
            return o;
        }
    } else if (auto s = session_of(cookies)) {
        user = s->user;
    } else {
        Outcome o = refusal(401, "Log in: HTTP Basic with an admin's name and password.");
        o.headers.emplace_back("WWW-Authenticate",
                               "Basic realm=\"holdfast admin\", charset=\"UTF-8\"");
        return o;
    }
    auto parts = parts_of(path, 6);  // after "/admin"
    if (method != "POST") return views_.get(parts, search_of(query));
    if (!content_type.starts_with("application/json")) {
        return refusal(415, "Send a JSON object, Content-Type: application/json.");
    }
    json fields = body.empty() ? json::object() : json::parse(body, nullptr, false);
    if (!fields.is_object()) return refusal(400, "The body must be a JSON object.");
    return views_.post(parts, fields, user, true);
}

}  // namespace holdfast::web
