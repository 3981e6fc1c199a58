#include "web/admin_views.hpp"

#include <spdlog/spdlog.h>

#include <cctype>

#include "charts/charts.hpp"
#include "store/customer_input.hpp"
#include "store/records_json.hpp"
#include "util/net.hpp"
#include "util/time_text.hpp"

namespace holdfast::web {
using json = nlohmann::json;

namespace {

constexpr std::size_t kTestsShown = 50;   // a customer's newest relay tests on its page
constexpr std::size_t kChecksShown = 20;  // and blacklist checks, and notices sent

std::vector<std::string> list_field(const json& fields, const char* key) {
    auto it = fields.find(key);
    if (it == fields.end()) return {};
    if (it->is_string()) return store::split_list(it->get<std::string>());
    std::vector<std::string> out;
    if (it->is_array()) {
        for (const auto& v : *it) {
            if (v.is_string()) out.push_back(v.get<std::string>());
        }
    }
    return out;
}

std::string text_field(const json& fields, const char* key) {
    auto it = fields.find(key);
    return it != fields.end() && it->is_string() ? it->get<std::string>() : "";
}

// A JSON true, or a checkbox's "on" (absent from a form when unticked).
bool flag_field(const json& fields, const char* key) {
    auto it = fields.find(key);
    if (it == fields.end()) return false;
    if (it->is_boolean()) return it->get<bool>();
    if (!it->is_string()) return false;
    std::string v = it->get<std::string>();
    return v == "on" || v == "true" || v == "1" || v == "yes";
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

// Whether the admin's search finds customer c: an IP address inside one of
// its networks ("who has 192.0.2.25?"), else text in its name, domains or
// e-mail addresses, whatever the case.
bool finds(const store::Customer& c, const std::string& search) {
    if (auto ip = util::parse_ip(search)) {
        for (const auto& n : c.networks) {
            auto net = util::parse_network(n);
            if (net && net->contains(*ip)) return true;
        }
        return false;
    }
    auto lower = [](std::string s) {
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
    };
    std::string q = lower(search);
    auto has = [&](const std::string& text) { return lower(text).find(q) != std::string::npos; };
    if (has(c.name)) return true;
    for (const auto& d : c.domains) {
        if (has(d)) return true;
    }
    for (const auto& e : c.emails) {
        if (has(e)) return true;
    }
    return false;
}

// The contract's customer JSON, and what the page's buttons need.
json customer_view(const store::Customer& c) {
    json j = store::customer_json(c);
    j["suspended"] = c.status == store::Status::suspended;
    return j;
}

// The form's values as text fields (the page shows them for editing).
json form_values(const store::CustomerInput& in) {
    return {{"name", in.name},
            {"emails_text", joined(in.emails)},
            {"domains_text", joined(in.domains)},
            {"networks_text", joined(in.networks)},
            {"notes", in.notes},
            {"scan", in.scan}};
}

json hosts_json(const std::vector<store::MxHost>& hosts) {
    json out = json::array();
    for (const auto& h : hosts) {
        out.push_back({{"preference", h.preference}, {"host", h.host}, {"addresses", h.addresses}});
    }
    return out;
}

// The zones that listed the address, from a check's stored "zones" JSON.
json listed_zones(const std::string& zones_json) {
    json out = json::array();
    json zones = json::parse(zones_json, nullptr, false);
    if (!zones.is_array()) return out;
    for (const auto& z : zones) {
        if (z.is_object() && z.value("status", "") == "listed") out.push_back(z.value("zone", ""));
    }
    return out;
}

}  // namespace

std::string admin_age_text(std::chrono::seconds age) {
    long s = std::abs(static_cast<long>(age.count()));
    if (s < 60) return std::to_string(s) + " s";
    if (s < 3600) return std::to_string(s / 60) + " min";
    if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
    return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
}

std::string admin_bytes_text(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

// Where an action sends the browser back to: the page it came from when
// that is an admin page (never anywhere else: no open redirect).
std::string admin_back_to(const json& fields, const std::string& fallback) {
    std::string back = text_field(fields, "back");
    if (back != "/admin" && !back.starts_with("/admin/")) return fallback;
    for (unsigned char ch : back) {
        if (!std::isalnum(ch) && std::string_view("/._@-").find(ch) == std::string_view::npos)
            return fallback;
    }
    return back.find("//") == std::string::npos ? back : fallback;
}

AdminViews::AdminViews(AdminServices services) : s_(std::move(services)) {}

Outcome AdminViews::get(const std::vector<std::string>& path, const std::string& search) {
    if (path.empty()) return overview(search);
    if (path[0] == "customers" && path.size() == 2) {
        return path[1] == "new" ? customer_form() : customer(path[1]);
    }
    if (path[0] == "queue" && path.size() == 2) return queue_domain(path[1]);
    if (path.size() == 1 &&
        (path[0] == "customers" || path[0] == "violations" || path[0] == "queue")) {
        Outcome all = overview(search);  // the API's lists; a page shows them all on /admin
        all.location = "/admin";
        all.status = 200;
        return all;
    }
    return refusal(404, "There is no admin page here.");
}

Outcome AdminViews::post(const std::vector<std::string>& path, const json& fields,
                         const std::string& user, bool partial) {
    if (path.size() == 1 && path[0] == "customers") {
        return save_customer("", fields, user, partial);
    }
    if (path.size() == 2 && path[0] == "customers") {
        return save_customer(path[1], fields, user, partial);
    }
    if (path.size() == 3 && path[0] == "customers" &&
        (path[2] == "suspend" || path[2] == "unsuspend")) {
        return set_status(path[1], path[2] == "suspend", user);
    }
    if (path.size() == 3 && path[0] == "violations") {
        return violation_action(path[1], path[2], fields, user);
    }
    if (path.size() == 3 && path[0] == "queue" && path[2] == "flush") return flush(path[1], user);
    if (path.size() == 3 && path[0] == "messages") {
        return message_action(path[1], path[2], fields, user);
    }
    return refusal(404, "There is no admin action here.");
}

json AdminViews::violations_json(const std::string& customer) {
    json out = json::array();
    for (const auto& v : s_.store.violations(customer)) {
        json j = store::violation_json(v);
        j["open"] = v.open;  // for the page's buttons
        j["has_test"] = v.test != 0;
        out.push_back(std::move(j));
    }
    return out;
}

Outcome AdminViews::overview(const std::string& search) {
    json customers = json::array(), violations = json::array();
    for (const auto& c : s_.store.customers()) {
        if (!search.empty() && !finds(c, search)) continue;
        customers.push_back(customer_view(c));
        if (!search.empty()) {
            for (auto& v : violations_json(c.name)) violations.push_back(std::move(v));
        }
    }
    if (search.empty()) violations = violations_json("");
    std::string chart;
    Outcome o;
    o.page = "admin";
    o.data = {{"customers", customers},
              {"violations", violations},
              {"queue", queue_overview(&chart)},
              {"search", search}};
    o.view = {{"queue_chart", chart}};
    return o;
}

Outcome AdminViews::customer(const std::string& name) {
    auto c = s_.store.customer(name);
    if (!c) return refusal(404, "There is no customer " + name + ".");
    json mx = json::array();
    for (const auto& d : c->domains) {
        json changes = json::array();
        auto history = s_.store.mx_history(d);
        for (auto it = history.rbegin(); it != history.rend(); ++it) {
            changes.push_back({{"at", util::rfc3339(it->at)},
                               {"before", hosts_json(it->before)},
                               {"after", hosts_json(it->after)}});
        }
        auto now = s_.store.mx_set(d);
        mx.push_back({{"domain", d},
                      {"current", now ? hosts_json(*now) : json::array()},
                      {"changes", changes}});
    }
    json tests = json::array();
    charts::Timeline timeline;
    timeline.id = "relay-tests";
    timeline.title = "Relay tests of " + c->name;
    for (const auto& t : s_.store.customer_relay_tests(name, kTestsShown)) {
        tests.push_back({{"id", t.id},
                         {"at", util::rfc3339(t.at)},
                         {"target", t.target},
                         {"trigger", t.trigger},
                         {"verdict", t.verdict},
                         {"open", t.verdict == "open"},
                         {"reason", t.reason},
                         {"transcript", t.transcript}});
        timeline.events.push_back({t.at, t.target, t.verdict, t.reason});
    }
    json checks = json::array();
    for (const auto& b : s_.store.customer_blacklist_checks(name, kChecksShown)) {
        checks.push_back({{"at", util::rfc3339(b.at)},
                          {"target", b.target},
                          {"listed", b.listed},
                          {"zones", listed_zones(b.zones_json)}});
    }
    json notices = json::array();
    auto sent = s_.store.notices(name);
    for (auto it = sent.rbegin(); it != sent.rend() && notices.size() < kChecksShown; ++it) {
        notices.push_back({{"at", util::rfc3339(it->at)},
                           {"kind", it->kind},
                           {"about", it->about},
                           {"recipients", it->recipients},
                           {"queue_id", it->queue_id}});
    }
    store::CustomerInput in{c->name, c->emails, c->domains, c->networks, c->notes, c->scan};
    Outcome o;
    o.page = "admin_customer";
    o.data = {{"customer", customer_view(*c)},
              {"mx", mx},
              {"tests", tests},
              {"checks", checks},
              {"violations", violations_json(name)},
              {"notices", notices}};
    o.view = {{"form", form_values(in)}, {"timeline", charts::timeline_svg(timeline)}};
    return o;
}

Outcome AdminViews::customer_form() {
    Outcome o;
    o.page = "admin_customer";
    o.data = {{"new", true}};
    o.view = {{"form", form_values({})}};
    return o;
}

Outcome AdminViews::save_customer(const std::string& name, const json& fields,
                                  const std::string& user, bool partial) {
    const bool adding = name.empty();
    store::CustomerInput in{adding ? text_field(fields, "name") : name,
                            list_field(fields, "emails"),
                            list_field(fields, "domains"),
                            list_field(fields, "networks"),
                            text_field(fields, "notes"),
                            flag_field(fields, "scan")};
    // An API edit changes the fields it names: {"scan": true} must not
    // empty the domain list (and stop the backup MX for them).
    if (!adding && partial) {
        if (auto now = s_.store.customer(name)) {
            if (!fields.contains("emails")) in.emails = now->emails;
            if (!fields.contains("domains")) in.domains = now->domains;
            if (!fields.contains("networks")) in.networks = now->networks;
            if (!fields.contains("notes")) in.notes = now->notes;
            if (!fields.contains("scan")) in.scan = now->scan;
        }
    }
    std::string why;
    auto c = store::checked_customer(in, &why);
    if (c) {
        bool saved = adding ? s_.store.add_customer(*c, std::chrono::system_clock::now(), &why)
                            : s_.store.update_customer(*c, &why);
        if (saved) {
            if (s_.customers_changed) s_.customers_changed();
            spdlog::info("web admin user=\"{}\" customer={} status={} domains={}", user, c->name,
                         adding ? "added" : "edited", joined(c->domains));
            Outcome o;
            o.location = "/admin/customers/" + c->name;
            o.data = {{"ok", true}, {"customer", customer_view(*s_.store.customer(c->name))}};
            return o;
        }
    }
    // Shown again with what was typed and why it was not saved.
    bool missing = !adding && !s_.store.customer(name);
    Outcome o;
    o.status = missing ? 404 : c ? 409 : 400;
    o.page = "admin_customer";
    o.data = {{"ok", false}, {"error", why}, {"new", adding}};
    o.view = {{"form", form_values(in)}};
    if (!adding) o.data["customer"] = {{"name", name}};
    return o;
}

Outcome AdminViews::set_status(const std::string& name, bool suspend, const std::string& user) {
    auto status = suspend ? store::Status::suspended : store::Status::active;
    if (!s_.store.set_status(name, status)) {
        return refusal(404, "There is no customer " + name + ".");
    }
    if (s_.customers_changed) s_.customers_changed();
    spdlog::info("web admin user=\"{}\" customer={} status={}", user, name,
                 store::status_name(status));
    Outcome o;
    o.location = "/admin";
    o.data = {{"ok", true}, {"status", store::status_name(status)}};
    return o;
}

Outcome AdminViews::violation_action(const std::string& id_text, const std::string& action,
                                     const json& fields, const std::string& user) {
    auto id = parse_id(id_text);
    auto v = id ? s_.store.violation(*id) : std::nullopt;
    if (!v) return refusal(404, "There is no violation " + id_text + ".");
    if (action == "paid") {
        s_.store.mark_paid(*id);
    } else if (action == "resolve") {
        if (!v->open) return refusal(409, "Violation " + id_text + " is resolved already.");
        s_.store.resolve_violation(*id, 0, std::chrono::system_clock::now());
    } else {
        return refusal(404, "There is no admin action here.");
    }
    spdlog::info("web admin user=\"{}\" violation={} customer={} status={}", user, *id, v->customer,
                 action == "paid" ? "paid" : "resolved");
    Outcome o;
    o.location = admin_back_to(fields, "/admin/customers/" + v->customer);
    auto after = s_.store.violation(*id);
    o.data = {{"ok", true},
              {"paid", after && after->paid},
              {"status", after && after->open ? "open" : "resolved"}};
    return o;
}

}  // namespace holdfast::web
