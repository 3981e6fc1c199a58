#include "watch/watcher.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include <algorithm>
#include <deque>

#include "util/thread_name.hpp"
#include "util/time_text.hpp"
#include "watch/cycle_run.hpp"

namespace holdfast::watch {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

using util::rfc3339;

// Runs fn(item) for every item, at most `width` at once, on io.
template <typename T, typename Fn>
void for_each_bounded(asio::io_context& io, std::vector<T> items, std::size_t width, Fn fn) {
    auto queue = std::make_shared<std::deque<T>>(items.begin(), items.end());
    width = std::max<std::size_t>(1, std::min(width, queue->size()));
    for (std::size_t i = 0; i < width; ++i) {
        asio::co_spawn(
            io,
            [queue, fn]() -> asio::awaitable<void> {
                while (!queue->empty()) {
                    T item = std::move(queue->front());
                    queue->pop_front();
                    try {
                        co_await fn(item);
                    } catch (const std::exception& e) {
                        spdlog::error("watch status=error reason=\"{}\"", e.what());
                    }
                }
            },
            asio::detached);
    }
    io.run();
    io.restart();
}

}  // namespace

WatcherSettings watcher_settings_from(const config::Config& c) {
    WatcherSettings s;
    s.schedule.mx_interval = c.watch.mx_interval;
    s.schedule.retest_interval = c.watch.retest_interval;
    s.schedule.rbl_interval = c.watch.rbl_interval;
    s.schedule.retry_inconclusive = c.watch.retry_inconclusive;
    s.charges = c.watch.charges;
    s.abuse = c.watch.abuse;
    s.zones = c.watch.zones;
    s.concurrency = c.watch.concurrency;
    s.test_timeout = c.watch.test_timeout;
    s.test_pause = c.watch.test_pause;
    s.test_port = c.watch.test_port;
    s.mx_name = c.watch.mx_name;
    s.self_addresses = c.server.addresses;
    for (const auto& l : c.listen) {
        if (auto ip = util::parse_ip(l.host)) s.self_addresses.push_back(*ip);
    }
    // [server] addresses are ours as the operator says; of the listeners,
    // only the ones the world can reach.
    s.public_addresses = c.server.addresses;
    for (const auto& l : c.listen) {
        auto ip = util::parse_ip(l.host);
        if (!ip) continue;
        bool local =
            l.host.starts_with("127.") || l.host == "::1" || l.host == "0.0.0.0" || l.host == "::";
        if (!local && std::find(s.public_addresses.begin(), s.public_addresses.end(), *ip) ==
                          s.public_addresses.end()) {
            s.public_addresses.push_back(*ip);
        }
    }
    s.postmaster = "postmaster@" + (c.locals.empty() ? c.server.hostname : c.locals.front().domain);
    s.notice_from = c.watch.notice_from;
    s.hostname = c.server.hostname;
    for (const auto& l : c.locals) s.local_domains.push_back(l.domain);
    return s;
}

policy::CustomerDomainMap customer_domains(store::Store& store) {
    policy::CustomerDomainMap m;
    for (const auto& d : store.served_domains()) {
        m[d.domain] = {d.customer, d.status == store::Status::suspended, d.scan};
    }
    return m;
}

Watcher::Watcher(store::Store& store, dns::Resolver& resolver, queue::Spool* spool,
                 policy::CustomerDomains* domains, WatcherSettings settings)
    : store_(store),
      resolver_(resolver),
      spool_(spool),
      domains_(domains),
      settings_(std::move(settings)),
      scheduler_(settings_.schedule) {
    if (!settings_.clock) settings_.clock = [] { return std::chrono::system_clock::now(); };
    if (settings_.charges.empty()) settings_.charges = {0};
    scheduler_.load(store_.targets());
    std::map<std::string, std::string> owners;
    for (const auto& c : store_.customers()) {
        for (const auto& d : c.domains) owners[d] = c.name;
    }
    scheduler_.set_domains(owners, settings_.clock());
    std::vector<std::string> ours;
    for (const auto& ip : settings_.public_addresses) {
        ours.push_back((ip.is_v4() ? ip.str() : "[" + ip.str() + "]") + ":" +
                       std::to_string(settings_.test_port));
    }
    scheduler_.set_self(ours);
    if (domains_) domains_->replace(customer_domains(store_));
}

Watcher::~Watcher() {
    stop();
}

void Watcher::start() {
    thread_ = std::thread([this] {
        util::name_this_thread("hf-watch");
        run();
    });
}

void Watcher::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Watcher::refresh_customers() {
    if (domains_) domains_->replace(customer_domains(store_));
    {
        std::lock_guard lock(mu_);
        wake_ = true;
    }
    cv_.notify_all();
}

json Watcher::run_once(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    if (!thread_.joinable()) {
        // No thread (a test, or the CLI): run the cycle here.
        lock.unlock();
        return cycle(true);
    }
    std::uint64_t ticket = ++requested_;
    cv_.notify_all();
    if (!cv_.wait_for(lock, timeout, [&] { return completed_ >= ticket || stopping_; })) {
        return {{"ok", false}, {"error", "the watch cycle did not finish in time"}};
    }
    return last_cycle_;
}

void Watcher::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        auto next = scheduler_.next_due();
        auto now = settings_.clock();
        bool forced = requested_ > completed_;
        if (!forced && !wake_ && (!next || *next > now)) {
            auto until = next ? std::min(*next, now + std::chrono::seconds(60))
                              : now + std::chrono::seconds(60);
            cv_.wait_until(lock, until);
            continue;
        }
        wake_ = false;
        std::uint64_t ticket = requested_;
        lock.unlock();
        json result;
        try {
            result = cycle(forced);
        } catch (const std::exception& e) {
            spdlog::error("watch status=cycle-failed reason=\"{}\"", e.what());
            result = {{"ok", false}, {"error", e.what()}};
        }
        lock.lock();
        last_cycle_ = result;
        if (forced) completed_ = ticket;
        cv_.notify_all();
        if (!result.value("ok", false)) {
            // A broken store or DNS: do not spin.
            cv_.wait_for(lock, std::chrono::seconds(5), [&] { return stopping_; });
        }
    }
}

json Watcher::status() {
    std::lock_guard lock(mu_);
    auto now = settings_.clock();
    Counts c = scheduler_.counts(now);
    json problems = json::object();
    for (const auto& [d, p] : problems_) problems[d] = p;
    return {{"enabled", true},
            {"running", running_},
            {"domains", c.domains},
            {"targets", c.targets},
            {"polls_due", c.polls_due},
            {"tests_due", c.tests_due},
            {"checks_due", c.checks_due},
            {"next_due", c.next ? json(rfc3339(*c.next)) : json()},
            {"last_cycle", last_cycle_.is_null() ? json() : last_cycle_},
            {"misconfigured", problems}};
}

json Watcher::handle(const json& request) {
    std::string cmd = request.value("cmd", "");
    if (cmd == "customers-changed") {
        refresh_customers();
        return {{"ok", true}};
    }
    if (cmd == "watch-run-once") return run_once();
    if (cmd == "watch-status") return {{"ok", true}, {"status", status()}};
    return {{"ok", false}, {"error", "unknown cmd: " + cmd}};
}

// One cycle: the phases in cycle_*.cpp, in order (cycle_run.hpp).
json Watcher::cycle(bool all) {
    using Clock = std::chrono::steady_clock;
    auto started_wall = settings_.clock();
    auto started = Clock::now();
    {
        std::lock_guard lock(mu_);
        running_ = true;
    }
    struct NotRunning {
        Watcher* w;
        ~NotRunning() {
            std::lock_guard lock(w->mu_);
            w->running_ = false;
        }
    } not_running{this};

    // The customers as the cycle begins.
    CycleRun run{*this, {}, {}, {}};
    for (auto& c : store_.customers()) {
        for (const auto& d : c.domains) run.domain_owner[d] = c.name;
        run.customers[c.name] = std::move(c);
    }
    if (domains_) domains_->replace(customer_domains(store_));
    std::vector<std::string> polls;
    {
        std::lock_guard lock(mu_);
        scheduler_.set_domains(run.domain_owner, started_wall);
        polls = scheduler_.due_polls(started_wall, all);
    }

    asio::io_context io;
    for_each_bounded(io, polls, settings_.dns_concurrency,
                     [&run](std::string domain) { return run.poll_mx(std::move(domain)); });

    // The tests due now, the MX changes just found included.
    std::vector<TestJob> tests;
    {
        std::lock_guard lock(mu_);
        tests = scheduler_.due_tests(settings_.clock());
    }
    for_each_bounded(io, tests, settings_.concurrency,
                     [&run](TestJob job) { return run.test_relay(std::move(job)); });
    run.resolve_departed();

    std::vector<CheckJob> checks;
    {
        std::lock_guard lock(mu_);
        checks = scheduler_.due_checks(settings_.clock());
    }
    if (settings_.zones.empty()) {
        // Nothing to check against: mark them done so they are not due every cycle.
        std::lock_guard lock(mu_);
        for (const auto& c : checks) scheduler_.checked(c.target, {}, settings_.clock());
        checks.clear();
    }
    for_each_bounded(io, checks, settings_.dns_concurrency,
                     [&run](CheckJob job) { return run.check_blacklists(std::move(job)); });

    const CycleCounts& out = run.out;
    json result = out.to_json();
    result["ok"] = true;
    result["started"] = rfc3339(started_wall);
    result["seconds"] = std::chrono::duration<double>(Clock::now() - started).count();
    bool idle = out.polled + out.tested + out.checked + out.notices + out.errors == 0;
    spdlog::log(
        idle ? spdlog::level::debug : spdlog::level::info,
        "watch status=cycle polled={} changed={} tested={} violations={} resolved={} checked={} "
        "listed={} delisted={} notices={} seconds={:.3f}",
        out.polled, out.changed, out.tested, out.violations, out.resolved, out.checked, out.listed,
        out.delisted, out.notices, result["seconds"].get<double>());
    return result;
}

}  // namespace holdfast::watch
