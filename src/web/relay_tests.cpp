#include "web/relay_tests.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mail/queue_id.hpp"
#include "relaytest/probe.hpp"
#include "relaytest/report.hpp"
#include "web/secret.hpp"

namespace holdfast::web {
namespace asio = boost::asio;
using json = nlohmann::json;

struct RelayTests::Job {
    std::int64_t id = 0;
    std::string token;   // the public link's id
    std::string target;  // "ip:port", what is tested
    std::string asked;   // what the visitor typed
    std::string client;
    std::string customer;
    store::TimePoint at{};
    std::string state = "queued";
    relaytest::Progress progress;
    std::vector<std::string> vectors;  // ids begun so far, in order
};

RelayTestSettings relay_test_settings_from(const config::Config& c) {
    RelayTestSettings s;
    s.networks = c.web.test_networks;
    s.max_running = c.web.max_tests;
    s.per_client = c.web.tests_per_client;
    s.per_target = c.web.tests_per_target;
    s.reply_timeout = c.watch.test_timeout;
    s.pause = c.watch.test_pause;
    return s;
}

RelayTests::RelayTests(asio::any_io_executor ex, store::Store& store, RelayTestSettings s)
    : ex_(std::move(ex)),
      store_(store),
      s_(std::move(s)),
      per_client_(s_.per_client, s_.window),
      per_target_(s_.per_target, s_.window) {}

RelayTests::~RelayTests() = default;

std::size_t RelayTests::running() const {
    std::lock_guard lock(mu_);
    return jobs_.size();
}

// web.test_networks plus every customer's networks; *customer is the owner
// of `a` when a customer's network holds it.
std::vector<util::IpNetwork> RelayTests::allowed_networks(const util::IpAddress& a,
                                                          std::string* customer) {
    std::vector<util::IpNetwork> nets = s_.networks;
    for (const auto& c : store_.customers()) {
        for (const auto& text : c.networks) {
            auto n = util::parse_network(text);
            if (!n) continue;
            nets.push_back(*n);
            if (customer && customer->empty() && n->contains(a)) *customer = c.name;
        }
    }
    return nets;
}

namespace {

std::chrono::seconds until(Clock::time_point when, Clock::time_point now) {
    auto s = std::chrono::ceil<std::chrono::seconds>(when - now);
    return std::max(s, std::chrono::seconds(1));
}

std::string endpoint_text(const util::IpAddress& a, std::uint16_t port) {
    std::string text = a.str();
    return (a.is_v4() ? text : "[" + text + "]") + ":" + std::to_string(port);
}

}  // namespace

asio::awaitable<Admission> RelayTests::start(std::string address, std::string client) {
    Admission a;
    auto now = Clock::now();
    auto target = relaytest::parse_target(address);
    if (!target || target->host.empty()) {
        a.status = 400;
        a.refusal = "\"" + address +
                    "\" is not a server address: write a host name or an IP address, optionally "
                    "followed by :port.";
        co_return a;
    }
    if (!per_client_.allow("client " + client, now)) {
        a.status = 429;
        a.retry_after = until(per_client_.retry_at("client " + client, now), now);
        a.refusal = "You have started " + std::to_string(s_.per_client) +
                    " tests in the last hour, the most we allow. Please try again later.";
        co_return a;
    }
    // Every address the name has, checked; the test then uses the checked
    // address itself, so DNS cannot answer differently the second time.
    std::vector<util::IpAddress> addresses;
    if (auto ip = util::parse_ip(target->host)) {
        addresses.push_back(*ip);
    } else {
        asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
        auto [ec, results] = co_await resolver.async_resolve(
            target->host, std::to_string(target->port), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            a.status = 400;
            a.refusal = "The name " + target->host + " could not be resolved to an address (" +
                        ec.message() + ").";
            co_return a;
        }
        for (const auto& r : results) {
            if (auto ip = util::parse_ip(r.endpoint().address().to_string()))
                addresses.push_back(*ip);
        }
    }
    std::string customer;
    if (addresses.empty() ||
        !all_inside(addresses, allowed_networks(addresses.front(), &customer))) {
        a.status = 403;
        a.refusal =
            "This page tests only the mail servers on our own and our customers' networks; " +
            target->host + " is outside them. It cannot be used to test other servers.";
        co_return a;
    }
    std::string tested = endpoint_text(addresses.front(), target->port);
    {
        std::lock_guard lock(mu_);
        if (busy_targets_.contains(tested)) {
            a.status = 429;
            a.retry_after = std::chrono::seconds(30);
            for (const auto& [id, job] : jobs_) {
                if (job->target == tested) a.running_id = job->token;
            }
            a.refusal = "A test of " + tested + " is running now; wait for its result.";
            co_return a;
        }
        if (jobs_.size() >= s_.max_running) {
            a.status = 429;
            a.retry_after = std::chrono::seconds(60);
            a.refusal =
                "We are running as many tests as we allow at once. Please try again in a minute.";
            co_return a;
        }
        if (!per_target_.allow("target " + tested, now)) {
            a.status = 429;
            a.retry_after = until(per_target_.retry_at("target " + tested, now), now);
            a.refusal = tested + " has been tested " + std::to_string(s_.per_target) +
                        " times in the last hour, the most we allow. Please try again later.";
            co_return a;
        }
        busy_targets_.insert(tested);
    }
    auto job = std::make_shared<Job>();
    job->target = tested;
    job->asked = address;
    job->client = client;
    job->customer = customer;
    job->at = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    job->token = random_token().substr(0, 32);  // 128 bits
    try {
        job->id = store_.add_relay_test(
            {0, customer, tested, "web", job->at, "running", "", "[]", "", job->token});
    } catch (...) {
        std::lock_guard lock(mu_);
        busy_targets_.erase(tested);
        throw;
    }
    {
        std::lock_guard lock(mu_);
        jobs_[job->id] = job;
    }
    spdlog::info("web test={} target={} asked=\"{}\" client={} customer={} status=started", job->id,
                 tested, address, client, customer.empty() ? "-" : customer);
    asio::co_spawn(ex_, run(job), asio::detached);
    a.id = job->token;
    co_return a;
}

asio::awaitable<void> RelayTests::run(std::shared_ptr<Job> job) {
    relaytest::Options o;
    o.timeout = s_.reply_timeout;
    o.pause = s_.pause;
    o.transcript = true;
    o.time_limit = s_.time_limit;
    relaytest::resolve_defaults(o, mail::new_queue_id());
    o.on_progress = [this, job](const relaytest::Progress& p) {
        std::lock_guard lock(mu_);
        job->state = "running";
        job->progress = p;
        if (!p.current.empty() && (job->vectors.empty() || job->vectors.back() != p.current)) {
            job->vectors.push_back(p.current);
        }
    };
    {
        std::lock_guard lock(mu_);
        job->state = "running";
    }
    relaytest::Report report;
    auto target = relaytest::parse_target(job->target);
    try {
        report = co_await relaytest::probe(*target, o);
    } catch (const std::exception& e) {
        report.reason = std::string("the test failed: ") + e.what();
    }
    json doc = json::parse(relaytest::to_json(report), nullptr, false);
    store::RelayTest rec{job->id,
                         job->customer,
                         job->target,
                         "web",
                         job->at,
                         std::string(relaytest::to_string(report.verdict)),
                         report.reason,
                         doc.is_object() && doc.contains("vectors") ? doc["vectors"].dump() : "[]",
                         relaytest::to_text(report),
                         job->token};
    try {
        store_.update_relay_test(rec);
    } catch (const std::exception& e) {
        spdlog::error("web test={} status=unsaved reason=\"{}\"", job->id, e.what());
    }
    spdlog::info("web test={} target={} verdict={} reason=\"{}\" status=done", job->id, job->target,
                 rec.verdict, report.reason);
    std::lock_guard lock(mu_);
    jobs_.erase(job->id);
    busy_targets_.erase(job->target);
}

std::int64_t RelayTests::number(const std::string& token) {
    auto t = store_.relay_test_by_token(token);
    return t && t->trigger == "web" ? t->id : 0;
}

std::optional<json> RelayTests::document(const std::string& token) {
    std::int64_t id = number(token);
    if (id == 0) return std::nullopt;
    return document(id, token);
}

std::optional<json> RelayTests::document(std::int64_t id, const std::string& token) {
    {
        std::lock_guard lock(mu_);
        auto it = jobs_.find(id);
        if (it != jobs_.end()) {
            const Job& j = *it->second;
            const auto& p = j.progress;
            return json{
                {"id", token},
                {"target", j.target},
                {"state", j.state},
                {"verdict", nullptr},
                {"reason", ""},
                {"vectors", json::array()},
                {"at",
                 std::chrono::duration_cast<std::chrono::seconds>(j.at.time_since_epoch()).count()},
                {"progress",
                 {{"done", p.done},
                  {"total", p.total},
                  {"relayed", p.relayed},
                  {"refused", p.refused},
                  {"other", p.other},
                  {"current", p.current},
                  {"begun", j.vectors}}}};
        }
    }
    auto t = store_.relay_test(id);
    if (!t) return std::nullopt;
    json doc{
        {"id", token},
        {"target", t->target},
        {"state", "done"},
        {"verdict", t->verdict},
        {"reason", t->reason},
        {"trigger", t->trigger},
        {"at", std::chrono::duration_cast<std::chrono::seconds>(t->at.time_since_epoch()).count()},
        {"transcript", t->transcript}};
    json vectors = json::parse(t->vectors_json, nullptr, false);
    doc["vectors"] = vectors.is_array() ? vectors : json::array();
    // A row still "running" that no job holds: the daemon stopped under it.
    if (t->verdict == "running") {
        doc["verdict"] = "inconclusive";
        doc["reason"] = "the test was interrupted (the server restarted); please run it again";
    }
    return doc;
}

}  // namespace holdfast::web
