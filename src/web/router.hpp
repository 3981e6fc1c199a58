#pragma once
// From a parsed HTTP request to a response: which handler, and how its
// data is shown (a page through a template, or JSON under /api/v1/). No I/O
// of its own: the server (server.cpp) reads and writes the bytes.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "web/admin.hpp"
#include "web/handlers.hpp"
#include "web/template.hpp"

namespace holdfast::web {

struct Request {
    std::string method;
    std::string target;  // as sent: "/rbl?q=..."
    std::string content_type;
    std::string body;
    std::string client;         // the peer's IP address
    std::string cookies;        // the Cookie header
    std::string authorization;  // the Authorization header (the admin API)
};

struct Response {
    int status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // Location, Retry-After, Allow
    bool cacheable = false;                                    // static files
    std::string events;  // a test's public id: stream its progress (text/event-stream)
};

// The templates, parsed once. Throws std::runtime_error naming a broken one.
class Pages {
  public:
    Pages();
    // The page template `name` with `data`, inside the layout.
    std::string render(const std::string& name, const std::string& title,
                       const nlohmann::json& data) const;

  private:
    std::map<std::string, Template> templates_;
};

class Router {
  public:
    // admin: null when the admin pages are off.
    Router(Handlers& handlers, Admin* admin, std::function<std::string()> metrics_text);
    boost::asio::awaitable<Response> route(Request request);

  private:
    Response page(const Outcome& o) const;
    Response api(const Outcome& o) const;

    Handlers& handlers_;
    Admin* admin_;
    std::function<std::string()> metrics_text_;
    Pages pages_;
};

// One Server-Sent Events message: "event: NAME\ndata: JSON\n\n".
std::string sse_event(const std::string& name, const nlohmann::json& data);

}  // namespace holdfast::web
