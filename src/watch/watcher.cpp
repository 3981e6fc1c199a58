#include "watch/watcher.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include <algorithm>
#include <deque>
#include <set>

#include "dns/awaitable.hpp"
#include "dnsbl/lookup.hpp"
#include "mail/queue_id.hpp"
#include "relaytest/probe.hpp"
#include "util/time_text.hpp"
#include "watch/notice.hpp"

namespace holdfast::watch {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

using util::rfc3339;

std::string domain_of(const std::string& address) {
    auto at = address.rfind('@');
    return at == std::string::npos ? "" : address.substr(at + 1);
}

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

// What one cycle did (the run-once answer and the status's last_cycle).
struct Watcher::Cycle {
    std::size_t polled = 0, changed = 0, tested = 0, open = 0, violations = 0, resolved = 0,
                checked = 0, listed = 0, delisted = 0, notices = 0, errors = 0;
    json to_json() const {
        return {{"polled", polled},   {"changed", changed},       {"tested", tested},
                {"open", open},       {"violations", violations}, {"resolved", resolved},
                {"checked", checked}, {"listed", listed},         {"delisted", delisted},
                {"notices", notices}, {"errors", errors}};
    }
};

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
    thread_ = std::thread([this] { run(); });
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
    Cycle out;

    // --- customers ------------------------------------------------------
    std::map<std::string, store::Customer> customers;
    std::map<std::string, std::string> domain_owner;
    for (auto& c : store_.customers()) {
        for (const auto& d : c.domains) domain_owner[d] = c.name;
        customers[c.name] = std::move(c);
    }
    if (domains_) domains_->replace(customer_domains(store_));
    std::vector<std::string> polls;
    {
        std::lock_guard lock(mu_);
        scheduler_.set_domains(domain_owner, started_wall);
        polls = scheduler_.due_polls(started_wall, all);
    }

    auto notify = [&](const std::string& kind, const std::string& customer,
                      const std::string& about, const NoticeText& text, bool to_abuse) {
        std::vector<std::string> to;
        auto it = customers.find(customer);
        if (it != customers.end()) to = it->second.emails;
        if (customer.empty()) {
            to.push_back(settings_.postmaster.empty() ? "postmaster@" + settings_.hostname
                                                      : settings_.postmaster);
        }
        if (to_abuse && !settings_.abuse.empty()) to.push_back(settings_.abuse);
        if (to.empty()) return std::string();
        auto now = settings_.clock();
        std::string id = mail::new_queue_id(now);
        std::string message = compose(settings_.notice_from, to, text, settings_.hostname, id, now);
        if (spool_) {
            queue::Envelope env;
            env.id = id;
            env.sender = settings_.notice_from;
            env.arrival = now;
            env.client = "holdfast watch";
            for (const auto& r : to) {
                bool local =
                    std::find(settings_.local_domains.begin(), settings_.local_domains.end(),
                              domain_of(r)) != settings_.local_domains.end();
                queue::Recipient rcpt;
                rcpt.address = r;
                rcpt.kind = local ? queue::RecipientKind::local : queue::RecipientKind::relay;
                env.recipients.push_back(rcpt);
            }
            spool_->store(std::move(env), std::move(message), [id](std::error_code ec) {
                if (ec) spdlog::error("id={} status=notice-lost error=\"{}\"", id, ec.message());
            });
        }
        std::string joined;
        for (const auto& r : to) joined += (joined.empty() ? "" : ",") + r;
        spdlog::info("id={} watch notice={} customer={} about={} to={} status=queued", id, kind,
                     customer, about, joined);
        store_.add_notice({now, kind, customer, about, joined, spool_ ? id : ""});
        ++out.notices;
        return id;
    };

    asio::io_context io;

    // --- MX polls ---------------------------------------------------------
    for_each_bounded(
        io, polls, settings_.dns_concurrency, [&](std::string domain) -> asio::awaitable<void> {
            auto now = settings_.clock();
            dns::Result mx = co_await dns::query(resolver_, domain, dns::RrType::mx);
            std::vector<std::string> problems;
            std::vector<dns::Mx> records;
            if (mx.error == dns::Errc::no_data) {
                records.push_back({0, domain});  // implicit MX (RFC 5321 5.1)
                problems.push_back(
                    "no MX records: mail goes to the domain's own address, never to "
                    "the backup MX");
            } else if (mx.error) {
                ++out.errors;
                spdlog::warn("watch domain={} status=mx-lookup-failed error=\"{}\"", domain,
                             mx.error.message());
                std::lock_guard lock(mu_);
                scheduler_.poll_failed(domain, now);
                if (mx.error == dns::Errc::nxdomain)
                    problems_[domain] = {"the domain does not exist"};
                co_return;
            } else {
                records = mx.answer.mx;
            }
            std::uint32_t ttl = mx.answer.ttl;
            std::vector<store::MxHost> set;
            for (const auto& r : records) {
                store::MxHost h{r.preference, r.host, {}};
                if (r.host.empty()) {
                    problems.push_back("null MX (RFC 7505): the domain accepts no mail");
                    set.push_back(h);
                    continue;
                }
                for (auto type : {dns::RrType::a, dns::RrType::aaaa}) {
                    dns::Result a = co_await dns::query(resolver_, r.host, type);
                    for (const auto& ip : a.answer.addresses) h.addresses.push_back(ip.str());
                }
                if (h.addresses.empty())
                    problems.push_back("MX host " + r.host + " does not resolve");
                set.push_back(std::move(h));
            }
            auto is_self = [&](const store::MxHost& h) {
                if (!settings_.mx_name.empty() && h.host == settings_.mx_name) return true;
                return std::any_of(
                    h.addresses.begin(), h.addresses.end(), [&](const std::string& a) {
                        return std::any_of(settings_.self_addresses.begin(),
                                           settings_.self_addresses.end(),
                                           [&](const util::IpAddress& s) { return s.str() == a; });
                    });
            };
            // Misconfigurations: our backup MX absent or not behind the primary,
            // a primary outside the customer's networks.
            std::optional<std::uint16_t> ours, primary;
            const store::MxHost* best = nullptr;
            for (const auto& h : set) {
                if (is_self(h)) {
                    if (!ours || h.preference < *ours) ours = h.preference;
                } else if (!primary || h.preference < *primary) {
                    primary = h.preference;
                    best = &h;
                }
            }
            if (!ours) {
                problems.push_back("our backup MX " + settings_.mx_name +
                                   " is not among the domain's MX records");
            } else if (primary && *ours <= *primary) {
                problems.push_back("our backup MX has preference " + std::to_string(*ours) +
                                   ", not worse than the primary's " + std::to_string(*primary) +
                                   ": mail would come to the backup first");
            } else if (!primary) {
                problems.push_back(
                    "only our backup MX is listed: there is no primary to deliver to");
            }
            const auto& owner = domain_owner[domain];
            const auto& nets = customers[owner].networks;
            if (best && !nets.empty()) {
                for (const auto& a : best->addresses) {
                    auto ip = util::parse_ip(a);
                    bool inside =
                        ip && std::any_of(nets.begin(), nets.end(), [&](const std::string& n) {
                            auto net = util::parse_network(n);
                            return net && net->contains(*ip);
                        });
                    if (!inside) {
                        problems.push_back("primary " + best->host + " (" + a +
                                           ") is outside the customer's networks");
                    }
                }
            }
            bool changed = store_.record_mx(domain, set, now);
            ++out.polled;
            std::vector<std::string> targets;
            for (const auto& h : set) {
                if (is_self(h)) continue;
                for (const auto& a : h.addresses) {
                    auto ip = util::parse_ip(a);
                    std::string t = ip && !ip->is_v4() ? "[" + a + "]" : a;
                    targets.push_back(t + ":" + std::to_string(settings_.test_port));
                }
            }
            std::vector<std::string> gone;
            {
                std::lock_guard lock(mu_);
                gone = scheduler_.polled(domain, targets, changed, std::chrono::seconds(ttl), now);
                auto& known = problems_[domain];
                if (known != problems) {
                    for (const auto& p : problems) {
                        spdlog::warn(
                            "watch domain={} customer={} status=misconfigured problem=\"{}\"",
                            domain, owner, p);
                    }
                    known = problems;
                }
                if (problems.empty()) problems_.erase(domain);
                if (changed) {
                    for (const auto& t : targets) {
                        if (auto st = scheduler_.state(t)) store_.save_target(*st);
                    }
                }
            }
            for (const auto& t : gone) store_.remove_target(t);
            if (changed) {
                ++out.changed;
                std::string hosts;
                for (const auto& h : set) {
                    hosts +=
                        (hosts.empty() ? "" : ",") + std::to_string(h.preference) + ":" + h.host;
                }
                spdlog::info("watch domain={} customer={} status=mx-changed mx={}", domain, owner,
                             hosts);
            }
        });

    // --- relay tests --------------------------------------------------------
    std::vector<TestJob> tests;
    {
        std::lock_guard lock(mu_);
        tests = scheduler_.due_tests(settings_.clock());
    }
    for_each_bounded(io, tests, settings_.concurrency, [&](TestJob job) -> asio::awaitable<void> {
        relaytest::Options o;
        o.timeout = settings_.test_timeout;
        o.pause = settings_.test_pause;
        o.transcript = true;
        o.time_limit = std::chrono::minutes(5);
        relaytest::resolve_defaults(o, mail::new_queue_id());
        auto target = relaytest::parse_target(job.target);
        relaytest::Report report;
        if (target) {
            report = co_await relaytest::probe(*target, o);
        } else {
            report.reason = "not a target: " + job.target;
        }
        auto now = settings_.clock();
        std::string verdict(relaytest::to_string(report.verdict));
        json doc = json::parse(relaytest::to_json(report), nullptr, false);
        store::RelayTest rec{0,
                             job.customer,
                             job.target,
                             job.trigger,
                             now,
                             verdict,
                             report.reason,
                             doc.is_object() ? doc["vectors"].dump() : "[]",
                             to_text(report),
                             ""};  // no public link: the watch's results are the admin's
        std::int64_t id = store_.add_relay_test(rec);
        {
            std::lock_guard lock(mu_);
            scheduler_.tested(job.target, verdict, id, now);
            if (auto st = scheduler_.state(job.target)) store_.save_target(*st);
        }
        ++out.tested;
        spdlog::info("watch test={} target={} customer={} trigger={} verdict={} reason=\"{}\"", id,
                     job.target, job.customer, job.trigger, verdict, report.reason);
        auto customer = customers.find(job.customer);
        if (report.verdict == relaytest::Verdict::open) {
            ++out.open;
            if (auto v = store_.open_violation(job.customer, job.target)) {
                spdlog::info("watch violation={} target={} status=still-open test={}", v->id,
                             job.target, id);
                co_return;
            }
            std::size_t count = store_.violation_count(job.customer);
            store::Violation v;
            v.customer = job.customer;
            v.found = now;
            v.target = job.target;
            v.test = id;
            v.charge = settings_.charges[std::min(count, settings_.charges.size() - 1)];
            v.id = store_.add_violation(v);
            ++out.violations;
            spdlog::warn("watch violation={} customer={} target={} charge={} test={} status=open",
                         v.id, v.customer, v.target, v.charge, id);
            if (customer != customers.end()) {
                auto text = violation_notice(customer->second, v, report, count + 1);
                if (!notify("violation", job.customer, std::to_string(v.id), text, true).empty()) {
                    store_.count_notice(v.id);
                }
            }
        } else if (report.verdict == relaytest::Verdict::closed) {
            if (auto v = store_.open_violation(job.customer, job.target)) {
                if (store_.resolve_violation(v->id, id, now)) {
                    ++out.resolved;
                    spdlog::info("watch violation={} target={} status=resolved test={}", v->id,
                                 job.target, id);
                    if (customer != customers.end()) {
                        auto text = resolved_notice(customer->second, *v,
                                                    "Our re-test " + std::to_string(id) + " of " +
                                                        job.target + " found the relay closed.");
                        if (!notify("resolved", job.customer, std::to_string(v->id), text, true)
                                 .empty()) {
                            store_.count_notice(v->id);
                        }
                    }
                }
            }
        }
    });

    // --- violations of hosts that left the MX set -------------------------
    for (const auto& [name, c] : customers) {
        std::vector<Scheduler::Current> now_targets;
        {
            std::lock_guard lock(mu_);
            now_targets = scheduler_.targets_of(name);
        }
        bool all_closed = !now_targets.empty() &&
                          std::all_of(now_targets.begin(), now_targets.end(),
                                      [](const auto& t) { return t.verdict == "closed"; });
        if (!all_closed) continue;
        std::int64_t by = 0;
        for (const auto& t : now_targets) by = std::max(by, t.test_id);
        for (const auto& v : store_.violations(name)) {
            if (!v.open) continue;
            bool still = std::any_of(now_targets.begin(), now_targets.end(),
                                     [&](const auto& t) { return t.target == v.target; });
            if (still || !store_.resolve_violation(v.id, by, settings_.clock())) continue;
            ++out.resolved;
            spdlog::info("watch violation={} target={} status=resolved reason=left-mx-set test={}",
                         v.id, v.target, by);
            auto text = resolved_notice(c, v,
                                        v.target +
                                            " is no longer among your MX hosts, and the MX hosts "
                                            "you list now test closed.");
            if (!notify("resolved", name, std::to_string(v.id), text, true).empty()) {
                store_.count_notice(v.id);
            }
        }
    }

    // --- blacklist checks ---------------------------------------------------
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
    for_each_bounded(
        io, checks, settings_.dns_concurrency, [&](CheckJob job) -> asio::awaitable<void> {
            std::string host = job.target.substr(0, job.target.rfind(':'));
            if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
            auto target = dnsbl::parse_target(host);
            if (!target) co_return;
            dnsbl::LookupOptions o;
            dnsbl::Report r = co_await dnsbl::lookup(resolver_, *target, settings_.zones, o);
            auto now = settings_.clock();
            std::vector<std::string> before;
            {
                std::lock_guard lock(mu_);
                if (auto st = scheduler_.state(job.target)) before = st->listed_zones;
            }
            std::vector<std::string> after;
            json zones = json::array();
            for (const auto& z : r.zones) {
                bool was = std::find(before.begin(), before.end(), z.zone) != before.end();
                std::vector<std::string> codes;
                for (const auto& c : z.codes) codes.push_back(c.address);
                zones.push_back({{"zone", z.zone},
                                 {"status", dnsbl::status_name(z.status)},
                                 {"codes", codes},
                                 {"txt", z.txt}});
                bool listed = z.status == dnsbl::Status::listed && !z.allow_list;
                bool known = z.status == dnsbl::Status::listed || z.status == dnsbl::Status::clean;
                // A list that answers with an error is not a listing, nor a delisting.
                if (listed || (!known && was)) after.push_back(z.zone);
                if (listed && !was) {
                    ++out.listed;
                    spdlog::warn("watch target={} customer={} zone={} status=listed codes={}", host,
                                 job.customer, z.zone, codes.empty() ? "" : codes.front());
                    notify("listed", job.customer, host + " " + z.zone,
                           listed_notice(job.customer, host, z.zone, codes, z.txt), true);
                } else if (was && known && !listed) {
                    ++out.delisted;
                    spdlog::info("watch target={} customer={} zone={} status=delisted", host,
                                 job.customer, z.zone);
                    notify("delisted", job.customer, host + " " + z.zone,
                           delisted_notice(job.customer, host, z.zone), true);
                }
            }
            store_.add_blacklist_check({0, job.customer, host, now, r.listed(), zones.dump()});
            ++out.checked;
            std::lock_guard lock(mu_);
            scheduler_.checked(job.target, after, now);
            if (auto st = scheduler_.state(job.target)) store_.save_target(*st);
        });

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
