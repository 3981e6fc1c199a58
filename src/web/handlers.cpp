#include "web/handlers.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "dnsbl/catalogue.hpp"
#include "dnsbl/lookup.hpp"
#include "dnsbl/report.hpp"
#include "dnsbl/target.hpp"
#include "web/request_target.hpp"

namespace holdfast::web {
namespace asio = boost::asio;
using json = nlohmann::json;

Handlers::Handlers(RelayTests& tests, dns::Resolver* resolver, LookupSettings lookups)
    : tests_(tests),
      resolver_(resolver),
      lookups_(std::move(lookups)),
      lookup_limit_(lookups_.per_client, lookups_.window) {}

Outcome refusal(int status, std::string words, std::chrono::seconds retry_after) {
    Outcome o;
    o.status = status;
    o.page = "refused";
    o.data = {{"error", std::move(words)}, {"status", status}};
    o.retry_after = retry_after;
    return o;
}

std::optional<std::int64_t> parse_id(const std::string& text) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v <= 0) return std::nullopt;
    return v;
}

asio::awaitable<Outcome> Handlers::start_relay_test(std::string address, std::string client) {
    // What people paste: surrounding blanks, a trailing dot.
    while (!address.empty() && (address.front() == ' ' || address.front() == '\t'))
        address.erase(0, 1);
    while (!address.empty() && (address.back() == ' ' || address.back() == '\t'))
        address.pop_back();
    if (address.empty() || address.size() > 255) {
        co_return refusal(
            400,
            "Please write the address of a mail server to test (a host name or an IP address).");
    }
    Admission a = co_await tests_.start(address, client);
    if (a.status != 202) {
        Outcome o = refusal(a.status, a.refusal, a.retry_after);
        o.data["address"] = address;
        if (!a.running_id.empty()) o.data["running"] = a.running_id;
        co_return o;
    }
    Outcome o;
    o.status = 202;
    o.data = {{"id", a.id}};
    o.location = "/relay-tests/" + a.id;
    co_return o;
}

Outcome Handlers::relay_test(const std::string& id) {
    auto doc = tests_.document(id);
    if (!doc) return refusal(404, "There is no relay test " + id + ".");
    Outcome o;
    o.page = "relay_test";
    o.data = std::move(*doc);
    return o;
}

asio::awaitable<Outcome> Handlers::rbl(std::string query, std::string client) {
    auto target = dnsbl::parse_target(query);
    if (!target)
        co_return refusal(400, "\"" + query + "\" is neither an IP address nor a domain name.");
    auto now = Clock::now();
    if (!lookup_limit_.allow(client, now)) {
        auto wait =
            std::chrono::ceil<std::chrono::seconds>(lookup_limit_.retry_at(client, now) - now);
        co_return refusal(
            429,
            "You have made " + std::to_string(lookups_.per_client) +
                " lookups in the last hour, the most we allow. Please try again later.",
            std::max(wait, std::chrono::seconds(1)));
    }
    if (!resolver_) co_return refusal(503, "Blacklist lookups are not available on this server.");
    std::vector<std::string> wanted =
        lookups_.zones.empty() ? dnsbl::default_zones(target->kind) : lookups_.zones;
    std::vector<std::string> zones;
    for (const auto& z : wanted) {
        if (dnsbl::serves(dnsbl::find_zone(z), target->kind)) zones.push_back(z);
    }
    dnsbl::LookupOptions lo;
    lo.deadline = lookups_.deadline;
    lo.query_timeout = std::min(lo.query_timeout, lo.deadline);
    struct InFlight {
        std::atomic<int>& n;
        explicit InFlight(std::atomic<int>& c) : n(c) { ++n; }
        ~InFlight() { --n; }
    } in_flight(in_flight_);
    dnsbl::Report report = co_await dnsbl::lookup(*resolver_, *target, zones, lo);
    json doc = json::parse(dnsbl::to_json(report).dump());
    for (auto& z : doc["zones"]) {
        std::string status = z.value("status", "");
        z["removal"] = status == "listed"
                           ? removal_link(z.value("zone", ""), z.value("txt", ""), report.query)
                           : "";
        z["is_listed"] = status == "listed";
        z["is_clean"] = status == "clean";
        z["is_failed"] = status != "listed" && status != "clean";
    }
    spdlog::info("web rbl query={} client={} listed={} zones={}", report.query, client,
                 report.listed(), zones.size());
    Outcome o;
    o.page = "rbl";
    o.data = std::move(doc);
    co_return o;
}

std::string removal_link(const std::string& zone, const std::string& txt,
                         const std::string& query) {
    for (std::string_view scheme : {"https://", "http://"}) {
        auto at = txt.find(scheme);
        if (at == std::string::npos) continue;
        auto end = txt.find_first_of(" \t\"'<>", at);
        return txt.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    struct Known {
        std::string_view suffix, url;  // {} in url: the address
    };
    static constexpr Known kKnown[] = {
        {"spamhaus.org", "https://check.spamhaus.org/listed/?searchterm={}"},
        {"spamcop.net", "https://www.spamcop.net/bl.shtml?{}"},
        {"barracudacentral.org", "https://www.barracudacentral.org/rbl/removal-request"},
        {"sorbs.net", "http://www.sorbs.net/lookup.shtml"},
        {"psbl.surriel.com", "https://psbl.org/listing?ip={}"},
        {"mailspike.net", "https://mailspike.org/iplookup.html"},
        {"uceprotect.net", "https://www.uceprotect.net/en/rblcheck.php"},
        {"manitu.net", "https://www.dnsbl.manitu.net/lookup.php?value={}"},
        {"spameatingmonkey.net", "https://spameatingmonkey.com/lookup"},
        {"abuseat.org", "https://check.spamhaus.org/"},
    };
    for (const auto& k : kKnown) {
        if (zone.size() >= k.suffix.size() && zone.ends_with(k.suffix)) {
            std::string url(k.url);
            if (auto at = url.find("{}"); at != std::string::npos)
                url.replace(at, 2, url_encode(query));
            return url;
        }
    }
    return "";
}

}  // namespace holdfast::web
