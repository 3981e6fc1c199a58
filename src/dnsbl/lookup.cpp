#include "dnsbl/lookup.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <memory>

#include "dns/awaitable.hpp"
#include "dns/error.hpp"
#include "dns/message.hpp"

namespace holdfast::dnsbl {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

// Shared by the coordinator and the per-zone tasks; all of them run on one
// strand, so no lock is needed.
struct State {
    explicit State(asio::any_io_executor ex) : all_done(ex) {}
    std::vector<ZoneResult> results;
    std::vector<bool> finished;  // the zone's status is final (a TXT may still come)
    std::vector<bool> exited;    // the zone's task has returned
    std::size_t remaining = 0;
    asio::steady_timer all_done;
    std::vector<asio::cancellation_signal> signals;
};

// The answer, or Errc::timeout when the per-query timer fires first.
asio::awaitable<dns::Result> timed_query(dns::Resolver& r, std::string name, dns::RrType type,
                                         std::chrono::milliseconds timeout) {
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    auto v = co_await (dns::query(r, name, type) || timer.async_wait(asio::use_awaitable));
    if (v.index() == 0) co_return std::get<0>(std::move(v));
    dns::Result t;
    t.error = make_error_code(dns::Errc::timeout);
    t.answer.name = std::move(name);
    t.answer.type = type;
    co_return t;
}

// Broken when the test entry that must be listed is not, or the one that
// must not be listed is (unless the operator documents an answer for it).
std::string health_problem(const ZoneInfo* info, const Target& target, const Classified* must,
                           const Classified& must_not) {
    if (must_not.status == Status::listed && !(info && info->lists_loopback)) {
        return "lists the test entry " + test_entry(target.kind, false).str() +
               ": lists everything";
    }
    if (must && must->status != Status::listed) {
        std::string what = must->status == Status::clean ? "not listed" : status_name(must->status);
        return "test entry " + test_entry(target.kind, true).str() + " " + what;
    }
    return {};
}

asio::awaitable<dns::Result> ready(dns::Result r) {
    co_return r;
}

asio::awaitable<void> check_zone(dns::Resolver& r, std::shared_ptr<State> state, std::size_t i,
                                 Target target, LookupOptions o) {
    const std::string zone = state->results[i].zone;
    const ZoneInfo* info = find_zone(zone);
    auto ask = [&](const Target& t) {
        return timed_query(r, query_name(t, zone), dns::RrType::a, o.query_timeout);
    };
    dns::Result skipped;
    skipped.error = make_error_code(dns::Errc::no_data);
    const Target loopback = test_entry(target.kind, false);
    bool ask_loopback = o.loopback_check && target.str() != loopback.str();

    // Up to three questions at once: the target, 127.0.0.1 and 127.0.0.2.
    // (Named awaitables: GCC 12 mis-destroys temporaries of a conditional
    // inside a co_await expression.)
    auto q_main = ask(target);
    auto q_loopback = ask_loopback ? ask(loopback) : ready(skipped);
    auto q_test = o.health ? ask(test_entry(target.kind, true)) : ready(skipped);
    auto [main, must_not, must] =
        co_await (std::move(q_main) && std::move(q_loopback) && std::move(q_test));
    Classified c = classify(info, main);
    Classified probe = classify(info, must);
    std::string problem =
        health_problem(info, target, o.health ? &probe : nullptr, classify(info, must_not));
    ZoneResult& out = state->results[i];
    if (!problem.empty()) {
        out.status = Status::broken;
        out.detail = problem;
    } else {
        out.status = c.status;
        out.codes = std::move(c.codes);
        out.detail = std::move(c.detail);
    }
    // Final from here on: a TXT that misses the deadline only loses the reason.
    state->finished[i] = true;
    if (out.status == Status::listed) {
        dns::Result txt =
            co_await timed_query(r, query_name(target, zone), dns::RrType::txt, o.query_timeout);
        std::string joined;
        for (const auto& t : txt.answer.texts) joined += (joined.empty() ? "" : "; ") + t;
        state->results[i].txt = std::move(joined);
    }
}

asio::awaitable<Report> run(dns::Resolver& r, Target target, std::vector<std::string> zones,
                            LookupOptions o) {
    auto ex = co_await asio::this_coro::executor;
    auto state = std::make_shared<State>(ex);
    state->results.resize(zones.size());
    state->finished.assign(zones.size(), false);
    state->exited.assign(zones.size(), false);
    state->signals = std::vector<asio::cancellation_signal>(zones.size());
    state->remaining = zones.size();
    for (std::size_t i = 0; i < zones.size(); ++i) {
        ZoneResult& z = state->results[i];
        z.zone = dns::canonical_name(zones[i]);
        const ZoneInfo* info = find_zone(z.zone);
        z.allow_list = info && info->allow_list;
        z.detail = "no answer before the deadline";
    }
    state->all_done.expires_after(o.deadline);
    for (std::size_t i = 0; i < zones.size(); ++i) {
        asio::co_spawn(
            ex, check_zone(r, state, i, target, o),
            asio::bind_cancellation_slot(state->signals[i].slot(), [state, i](std::exception_ptr) {
                state->exited[i] = true;
                if (--state->remaining == 0) state->all_done.cancel();
            }));
    }
    if (!zones.empty()) co_await state->all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    Report report;
    report.query = target.str();
    for (std::size_t i = 0; i < zones.size(); ++i) {
        if (!state->exited[i]) state->signals[i].emit(asio::cancellation_type::terminal);
        if (!state->finished[i]) {
            state->results[i].status = Status::timeout;
            state->results[i].codes.clear();
            state->results[i].detail = "no answer before the deadline";
        }
        report.zones.push_back(state->results[i]);
    }
    co_return report;
}

}  // namespace

bool Report::listed() const {
    for (const auto& z : zones) {
        if (z.status == Status::listed && !z.allow_list) return true;
    }
    return false;
}

bool Report::complete() const {
    for (const auto& z : zones) {
        if (z.status == Status::timeout || z.status == Status::error) return false;
    }
    return true;
}

asio::awaitable<Report> lookup(dns::Resolver& resolver, Target target,
                               std::vector<std::string> zones, LookupOptions options) {
    // One strand for the whole lookup: the caller's executor may be an
    // io_context run by several threads.
    auto strand = asio::make_strand(co_await asio::this_coro::executor);
    co_return co_await asio::co_spawn(
        strand, run(resolver, std::move(target), std::move(zones), options), asio::use_awaitable);
}

}  // namespace holdfast::dnsbl
