#include <spdlog/spdlog.h>

#include <algorithm>

#include "mail/queue_id.hpp"
#include "relaytest/probe.hpp"
#include "watch/cycle_run.hpp"

namespace holdfast::watch {

using json = nlohmann::json;

boost::asio::awaitable<void> CycleRun::test_relay(TestJob job) {
    relaytest::Options o;
    o.timeout = w.settings_.test_timeout;
    o.pause = w.settings_.test_pause;
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
    auto now = w.settings_.clock();
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
    std::int64_t id = w.store_.add_relay_test(rec);
    {
        std::lock_guard lock(w.mu_);
        w.scheduler_.tested(job.target, verdict, id, now);
        if (auto st = w.scheduler_.state(job.target)) w.store_.save_target(*st);
    }
    ++out.tested;
    spdlog::info("watch test={} target={} customer={} trigger={} verdict={} reason=\"{}\"", id,
                 job.target, job.customer, job.trigger, verdict, report.reason);
    auto customer = customers.find(job.customer);
    if (report.verdict == relaytest::Verdict::open) {
        ++out.open;
        if (auto v = w.store_.open_violation(job.customer, job.target)) {
            spdlog::info("watch violation={} target={} status=still-open test={}", v->id,
                         job.target, id);
            co_return;
        }
        std::size_t count = w.store_.violation_count(job.customer);
        store::Violation v;
        v.customer = job.customer;
        v.found = now;
        v.target = job.target;
        v.test = id;
        v.charge = w.settings_.charges[std::min(count, w.settings_.charges.size() - 1)];
        v.id = w.store_.add_violation(v);
        ++out.violations;
        spdlog::warn("watch violation={} customer={} target={} charge={} test={} status=open", v.id,
                     v.customer, v.target, v.charge, id);
        if (customer != customers.end()) {
            auto text = violation_notice(customer->second, v, report, count + 1);
            if (!notify("violation", job.customer, std::to_string(v.id), text, true).empty()) {
                w.store_.count_notice(v.id);
            }
        }
    } else if (report.verdict == relaytest::Verdict::closed) {
        if (auto v = w.store_.open_violation(job.customer, job.target)) {
            if (w.store_.resolve_violation(v->id, id, now)) {
                ++out.resolved;
                spdlog::info("watch violation={} target={} status=resolved test={}", v->id,
                             job.target, id);
                if (customer != customers.end()) {
                    auto text = resolved_notice(customer->second, *v,
                                                "Our re-test " + std::to_string(id) + " of " +
                                                    job.target + " found the relay closed.");
                    if (!notify("resolved", job.customer, std::to_string(v->id), text, true)
                             .empty()) {
                        w.store_.count_notice(v->id);
                    }
                }
            }
        }
    }
}

void CycleRun::resolve_departed() {
    for (const auto& [name, c] : customers) {
        std::vector<Scheduler::Current> now_targets;
        {
            std::lock_guard lock(w.mu_);
            now_targets = w.scheduler_.targets_of(name);
        }
        bool all_closed = !now_targets.empty() &&
                          std::all_of(now_targets.begin(), now_targets.end(),
                                      [](const auto& t) { return t.verdict == "closed"; });
        if (!all_closed) continue;
        std::int64_t by = 0;
        for (const auto& t : now_targets) by = std::max(by, t.test_id);
        for (const auto& v : w.store_.violations(name)) {
            if (!v.open) continue;
            bool still = std::any_of(now_targets.begin(), now_targets.end(),
                                     [&](const auto& t) { return t.target == v.target; });
            if (still || !w.store_.resolve_violation(v.id, by, w.settings_.clock())) continue;
            ++out.resolved;
            spdlog::info("watch violation={} target={} status=resolved reason=left-mx-set test={}",
                         v.id, v.target, by);
            auto text = resolved_notice(c, v,
                                        v.target +
                                            " is no longer among your MX hosts, and the MX hosts "
                                            "you list now test closed.");
            if (!notify("resolved", name, std::to_string(v.id), text, true).empty()) {
                w.store_.count_notice(v.id);
            }
        }
    }
}

}  // namespace holdfast::watch
