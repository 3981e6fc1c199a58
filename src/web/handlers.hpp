#pragma once
// One handler layer for the pages and the API: each handler turns a
// question into data (a JSON document) and a status; the router renders it
// as HTML through a template or sends it as JSON. No handler knows which.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "web/guard.hpp"
#include "web/relay_tests.hpp"

namespace holdfast::web {

struct Outcome {
    int status = 200;
    std::string page;  // the template that shows it as HTML
    nlohmann::json data = nlohmann::json::object();
    // What only the page shows (SVG pictures, form values, the CSRF token):
    // merged into data for the template, left out of the API's JSON.
    nlohmann::json view = nlohmann::json::object();
    std::string location;                                      // see other (the page's redirect)
    std::chrono::seconds retry_after{0};                       // with 429
    std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie
};

struct LookupSettings {
    std::vector<std::string> zones;  // [dnsbl] zones; empty: the catalogue's defaults
    std::size_t per_client = 120;    // per window
    std::chrono::seconds window{3600};
    std::chrono::milliseconds deadline{10000};
};

// An error shown by the "refused" page, or as {"error", "status"} in the API.
Outcome refusal(int status, std::string words, std::chrono::seconds retry_after = {});
// A positive decimal id ("12"), nullopt for anything else.
std::optional<std::int64_t> parse_id(const std::string& text);

class Handlers {
  public:
    Handlers(RelayTests& tests, dns::Resolver* resolver, LookupSettings lookups);

    boost::asio::awaitable<Outcome> start_relay_test(std::string address, std::string client);
    Outcome relay_test(const std::string& id);
    boost::asio::awaitable<Outcome> rbl(std::string query, std::string client);
    // Blacklist lookups waiting for DNS: their answers come back through
    // the web's executor, which must outlive them (Server::stop waits).
    int lookups_in_flight() const { return in_flight_.load(); }

  private:
    RelayTests& tests_;
    dns::Resolver* resolver_;
    LookupSettings lookups_;
    RateLimiter lookup_limit_;
    std::atomic<int> in_flight_{0};
};

// Where a list's operator takes removal requests: the first http(s) URL
// in its TXT answer, else the operator's page for the well-known lists
// (with the address filled in where the page takes one), else "".
std::string removal_link(const std::string& zone, const std::string& txt, const std::string& query);

}  // namespace holdfast::web
