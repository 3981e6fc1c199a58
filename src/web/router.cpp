#include "web/router.hpp"

#include <stdexcept>

#include "web/assets.hpp"
#include "web/request_target.hpp"

namespace holdfast::web {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr const char* kPages[] = {"layout",      "index", "refused",        "relay_test", "rbl",
                                  "admin_login", "admin", "admin_customer", "admin_queue"};

std::string heading_for(int status) {
    switch (status) {
        case 400:
            return "We cannot use that";
        case 403:
            return "Not allowed";
        case 404:
            return "Not found";
        case 405:
            return "Not allowed here";
        case 429:
            return "Too many requests";
        default:
            return "Something went wrong";
    }
}

// What the relay-test page needs beyond the document: which words to show.
json relay_test_view(json doc) {
    std::string state = doc.value("state", "");
    std::string verdict = doc["verdict"].is_string() ? doc["verdict"].get<std::string>() : "";
    doc["running"] = state != "done";
    doc["is_open"] = verdict == "open";
    doc["is_closed"] = verdict == "closed";
    doc["is_inconclusive"] = verdict == "inconclusive";
    if (state != "done") {
        doc["refresh"] = 3;
        doc["script"] = "/static/relay-test.js";
    }
    return doc;
}

std::string title_for(const Outcome& o) {
    if (o.page == "relay_test") return "Relay test of " + o.data.value("target", std::string());
    if (o.page == "rbl") return "Blacklist lookup";
    if (o.page == "index") return "Relay test";
    if (o.page == "admin" || o.page == "admin_login") return "Administration";
    if (o.page == "admin_customer") {
        std::string name = o.data.contains("customer") ? o.data["customer"].value("name", "") : "";
        return name.empty() ? "New customer" : "Customer " + name;
    }
    if (o.page == "admin_queue") return "Queue for " + o.data.value("domain", std::string());
    return heading_for(o.status);
}

}  // namespace

std::string sse_event(const std::string& name, const json& data) {
    // dump() escapes every control character: one line, no stray "\n\n".
    return "event: " + name + "\ndata: " + data.dump() + "\n\n";
}

Pages::Pages() {
    for (const char* name : kPages) {
        auto text = asset(std::string("templates/") + name + ".html");
        if (!text) throw std::runtime_error(std::string("web: no template ") + name);
        std::string why;
        auto t = Template::parse(*text, &why);
        if (!t) throw std::runtime_error(std::string("web: template ") + name + ": " + why);
        templates_.emplace(name, std::move(*t));
    }
}

std::string Pages::render(const std::string& name, const std::string& title,
                          const json& data) const {
    json layout = {{"title", title}, {"content", templates_.at(name).render(data)}};
    if (data.is_object()) {
        if (data.contains("refresh")) layout["refresh"] = data["refresh"];
        if (data.contains("script")) layout["script"] = data["script"];
    }
    return templates_.at("layout").render(layout);
}

Router::Router(Handlers& handlers, Admin* admin, std::function<std::string()> metrics_text)
    : handlers_(handlers), admin_(admin), metrics_text_(std::move(metrics_text)) {}

Response Router::page(const Outcome& o) const {
    Response r;
    r.status = o.status;
    r.headers = o.headers;
    if (!o.location.empty()) {
        r.status = 303;
        r.headers.emplace_back("Location", o.location);
        r.content_type = "text/plain; charset=utf-8";
        r.body = "See " + o.location + "\n";
        return r;
    }
    json data = o.data;
    if (data.is_object() && o.view.is_object()) data.update(o.view);
    if (o.page == "relay_test") data = relay_test_view(std::move(data));
    if (o.page == "refused") {
        data["heading"] = heading_for(o.status);
        if (o.retry_after.count() > 0) data["retry_after"] = o.retry_after.count();
    }
    r.body = pages_.render(o.page.empty() ? "refused" : o.page, title_for(o), data);
    if (o.retry_after.count() > 0)
        r.headers.emplace_back("Retry-After", std::to_string(o.retry_after.count()));
    return r;
}

Response Router::api(const Outcome& o) const {
    Response r;
    r.status = o.status;
    r.headers = o.headers;  // WWW-Authenticate
    r.content_type = "application/json";
    r.body = o.data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (!o.location.empty()) r.headers.emplace_back("Location", "/api/v1" + o.location);
    if (o.retry_after.count() > 0)
        r.headers.emplace_back("Retry-After", std::to_string(o.retry_after.count()));
    return r;
}

asio::awaitable<Response> Router::route(Request req) {
    auto target = parse_target(req.target);
    bool is_api = req.target.starts_with("/api/");
    auto show = [&](const Outcome& o) { return is_api ? api(o) : page(o); };
    if (!target) co_return show(refusal(400, "The address of this page is malformed."));
    const std::string& path = target->path;
    const bool get = req.method == "GET" || req.method == "HEAD";
    const bool post = req.method == "POST";
    auto only = [&](const char* allow) {
        Response r = show(refusal(405, std::string("This page takes ") + allow + " only."));
        r.headers.emplace_back("Allow", allow);
        return r;
    };

    if (path == "/healthz") {
        if (!get) co_return only("GET, HEAD");
        co_return Response{200, "text/plain; charset=utf-8", "ok\n", {}, false, {}};
    }
    if (path == "/metrics") {
        if (!get) co_return only("GET, HEAD");
        co_return Response{200,
                           "text/plain; version=0.0.4; charset=utf-8",
                           metrics_text_ ? metrics_text_() : "",
                           {},
                           false,
                           {}};
    }
    if (path.starts_with("/static/")) {
        if (!get) co_return only("GET, HEAD");
        auto bytes = asset(path.substr(1));
        if (!bytes) co_return show(refusal(404, "There is no such file."));
        Response r;
        r.content_type =
            path.ends_with(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
        r.body = std::string(*bytes);
        r.cacheable = true;
        co_return r;
    }
    if (path == "/") {
        if (!get) co_return only("GET, HEAD");
        Outcome o;
        o.page = "index";
        co_return page(o);
    }
    if (path == "/relay-tests" || path == "/api/v1/relay-tests") {
        if (!post) co_return only("POST");
        std::string address;
        if (is_api) {
            json body = json::parse(req.body, nullptr, false);
            if (body.is_discarded() || !body.is_object() || !body.contains("address") ||
                !body["address"].is_string()) {
                co_return api(
                    refusal(400, "The body must be a JSON object {\"address\": \"host[:port]\"}."));
            }
            address = body["address"].get<std::string>();
        } else {
            auto form = parse_form(req.body);
            if (!form || !form->contains("address")) {
                co_return page(refusal(
                    400, "The form did not arrive whole: please use the form on the first page."));
            }
            address = form->at("address");
        }
        if (!valid_utf8(address))
            co_return show(refusal(400, "The address is not valid text (UTF-8)."));
        co_return show(co_await handlers_.start_relay_test(address, req.client));
    }
    for (const std::string prefix : {"/relay-tests/", "/api/v1/relay-tests/"}) {
        if (!path.starts_with(prefix)) continue;
        std::string rest = path.substr(prefix.size());
        if (!get) co_return only("GET, HEAD");
        if (!is_api && rest.ends_with("/events")) {
            Outcome o = handlers_.relay_test(rest.substr(0, rest.size() - 7));
            if (o.status != 200) co_return page(o);
            Response r;
            r.events = o.data.value("id", std::string());
            co_return r;
        }
        co_return show(handlers_.relay_test(rest));
    }
    if (path == "/rbl" || path == "/api/v1/rbl") {
        if (!get) co_return only("GET, HEAD");
        auto q = target->query.find("q");
        if (q == target->query.end() || q->second.empty()) {
            if (is_api)
                co_return api(refusal(400, "Give the address or domain to look up: ?q=ADDR."));
            Outcome o;
            o.page = "rbl";
            o.data = {{"query", ""}};
            co_return page(o);
        }
        if (q->second.size() > 255)
            co_return show(refusal(400, "That is too long for an address or a domain."));
        co_return show(co_await handlers_.rbl(q->second, req.client));
    }
    if (path == "/api/v1/admin" || path.starts_with("/api/v1/admin/")) {
        if (!admin_) co_return api(refusal(404, "The admin API is off ([web] admins is not set)."));
        if (!get && !post) co_return only("GET, HEAD, POST");
        co_return api(admin_->api(post ? "POST" : "GET", path.substr(7), target->query, req.body,
                                  req.content_type, req.authorization, req.cookies, req.client));
    }
    if (path == "/admin" || path.starts_with("/admin/")) {
        if (!admin_) co_return page(refusal(404, "There is no page here."));
        if (!get && !post) co_return only("GET, HEAD, POST");
        Params form = target->query;  // a GET's form is its query (the search)
        if (post) {
            auto parsed = parse_form(req.body);
            if (!parsed) co_return page(refusal(400, "The form did not arrive whole."));
            form = std::move(*parsed);
        }
        co_return page(admin_->handle(post ? "POST" : "GET", path, form, req.cookies, req.client));
    }
    if (path == "/api/v1") {
        if (!get) co_return only("GET, HEAD");
        Outcome o;
        o.data = {
            {"endpoints",
             {"POST /api/v1/relay-tests {\"address\": \"host[:port]\"}",
              "GET /api/v1/relay-tests/ID", "GET /api/v1/rbl?q=ADDR", "GET /metrics",
              "GET /healthz", "GET /api/v1/admin (HTTP Basic: customers, backup queue, violations)",
              "GET /api/v1/admin/customers/NAME", "GET /api/v1/admin/queue/DOMAIN",
              "POST /api/v1/admin/customers {name, emails, domains, networks, notes, scan}",
              "POST /api/v1/admin/customers/NAME {emails, domains, networks, notes, scan}",
              "POST /api/v1/admin/customers/NAME/suspend | unsuspend",
              "POST /api/v1/admin/violations/ID/paid | resolve",
              "POST /api/v1/admin/queue/DOMAIN/flush",
              "POST /api/v1/admin/messages/ID/hold | release | delete"}}};
        co_return api(o);
    }
    co_return show(refusal(404, "There is no page here."));
}

}  // namespace holdfast::web
