// The backup queue on the admin pages: per destination domain how much
// waits, since when, whether its primary is up and when it is tried next;
// a domain's messages; flush, hold, release, delete. Everything goes
// through the control socket's own requests (control/protocol.hpp), so a
// page does exactly what `holdfast queue ...` does.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "charts/charts.hpp"
#include "control/protocol.hpp"
#include "mail/address.hpp"
#include "util/time_text.hpp"
#include "web/admin_views.hpp"

namespace holdfast::web {
using json = nlohmann::json;

namespace {

constexpr std::size_t kMessagesShown = 200;  // on a domain's page; the count says how many in all
constexpr std::size_t kChartDomains = 8;     // lines in the overview's picture
constexpr auto kChartSpan = std::chrono::hours(24 * 7);

// The domains a message still waits for (remote recipients only: local
// delivery has no primary to be down).
std::set<std::string_view> waiting_domains(const queue::QueuedMessage& m) {
    std::set<std::string_view> out;
    for (const auto& p : m.pending) {
        if (p.kind != queue::RecipientKind::local) out.insert(p.domain);
    }
    return out;
}

struct DomainQueue {
    std::uint64_t messages = 0, bytes = 0, held = 0;
    store::TimePoint oldest{}, next{};
};

Outcome no_queue() {
    return refusal(404, "This server shows no queue here (the web face runs without one).");
}

}  // namespace

json AdminViews::queue_overview(std::string* chart) {
    if (!s_.queue) return {{"available", false}, {"domains", json::array()}};
    auto now = std::chrono::system_clock::now();
    std::map<std::string, DomainQueue> by_domain;
    if (s_.backup_domains) {
        for (const auto& d : s_.backup_domains()) by_domain[d];
    }
    // In place (a million envelopes are not copied for a page view); the
    // spool's index is locked meanwhile, so nothing here calls back into it.
    s_.queue->spool.for_each([&](const queue::QueuedMessage& m) {
        for (const auto& d : waiting_domains(m)) {
            auto& q = by_domain[std::string(d)];
            ++q.messages;
            q.bytes += m.size;
            if (q.oldest == store::TimePoint{} || m.arrival < q.oldest) q.oldest = m.arrival;
            if (m.held) {
                ++q.held;
                continue;
            }
            auto due = m.next_attempt == store::TimePoint{} ? m.arrival : m.next_attempt;
            if (q.next == store::TimePoint{} || due < q.next) q.next = due;
        }
    });
    json domains = json::array();
    for (const auto& [domain, q] : by_domain) {
        std::string down = s_.queue->down_reason ? s_.queue->down_reason(domain) : "";
        auto probe = s_.queue->next_probe ? s_.queue->next_probe(domain) : std::nullopt;
        auto next = probe ? *probe : q.next;
        if (q.messages > 0 && next < now) next = now;  // due: being tried
        domains.push_back(
            {{"domain", domain},
             {"messages", q.messages},
             {"bytes", q.bytes},
             {"bytes_text", admin_bytes_text(q.bytes)},
             {"held", q.held},
             {"oldest", q.messages ? util::rfc3339(q.oldest) : ""},
             {"oldest_age",
              q.messages
                  ? admin_age_text(std::chrono::duration_cast<std::chrono::seconds>(now - q.oldest))
                  : ""},
             {"primary", down.empty() ? "up" : "down"},
             {"down", !down.empty()},
             {"down_reason", down},
             {"next_attempt", q.messages || probe ? util::rfc3339(next) : ""}});
    }
    // Most waiting first: the domain whose server is down leads the table.
    auto& rows = domains.get_ref<json::array_t&>();
    std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
        return a["messages"].get<std::uint64_t>() > b["messages"].get<std::uint64_t>();
    });
    if (chart) {
        charts::TimeChart c;
        c.id = "queue";
        c.title = "Backup queue per domain, last 7 days";
        c.unit = "messages";
        c.from = now - kChartSpan;
        c.to = now;
        for (std::size_t i = 0; i < domains.size() && i < kChartDomains; ++i) {
            std::string d = domains[i]["domain"];
            charts::Series series{d, {}};
            for (const auto& sample : s_.store.queue_samples(d, c.from)) {
                series.points.push_back({sample.at, static_cast<double>(sample.messages)});
            }
            c.series.push_back(std::move(series));
        }
        *chart = charts::time_series_svg(c);
    }
    return {{"available", true}, {"domains", domains}};
}

Outcome AdminViews::queue_domain(const std::string& domain_arg) {
    if (!s_.queue) return no_queue();
    std::string domain = mail::normalize_domain(domain_arg);
    auto now = std::chrono::system_clock::now();
    std::vector<std::string> shown;  // read after the walk: the spool is locked during it
    std::uint64_t count = 0, bytes = 0;
    s_.queue->spool.for_each([&](const queue::QueuedMessage& m) {
        if (!waiting_domains(m).contains(domain)) return;
        ++count;
        bytes += m.size;
        if (shown.size() < kMessagesShown) shown.emplace_back(m.id);
    });
    json messages = json::array();
    for (const auto& id : shown) {
        auto found = s_.queue->spool.get(id);
        if (!found) continue;  // delivered meanwhile
        const queue::Envelope& env = *found;
        json m = control::message_state_json(*s_.queue, env);
        m["age"] =
            admin_age_text(std::chrono::duration_cast<std::chrono::seconds>(now - env.arrival));
        messages.push_back(std::move(m));
    }
    std::string down = s_.queue->down_reason ? s_.queue->down_reason(domain) : "";
    auto probe = s_.queue->next_probe ? s_.queue->next_probe(domain) : std::nullopt;
    charts::TimeChart c;
    c.id = "queue-" + domain;
    c.title = "Backup queue for " + domain + ", last 7 days";
    c.unit = "messages";
    c.from = now - kChartSpan;
    c.to = now;
    charts::Series series{domain, {}};
    for (const auto& sample : s_.store.queue_samples(domain, c.from)) {
        series.points.push_back({sample.at, static_cast<double>(sample.messages)});
    }
    c.series.push_back(std::move(series));
    Outcome o;
    o.page = "admin_queue";
    o.data = {{"domain", domain},
              {"messages", count},
              {"bytes", bytes},
              {"bytes_text", admin_bytes_text(bytes)},
              {"shown", messages.size()},
              {"more", count > messages.size()},
              {"primary", down.empty() ? "up" : "down"},
              {"down", !down.empty()},
              {"down_reason", down},
              {"next_probe", probe ? util::rfc3339(*probe) : ""},
              {"list", messages}};
    o.view = {{"chart", charts::time_series_svg(c)}};
    return o;
}

Outcome AdminViews::flush(const std::string& domain_arg, const std::string& user) {
    if (!s_.queue) return no_queue();
    std::string domain = mail::normalize_domain(domain_arg);
    json r = control::handle_request(*s_.queue, {{"cmd", "flush"}, {"domain", domain}});
    spdlog::info("web admin user=\"{}\" domain={} status=flush messages={}", user, domain,
                 r.value("messages", 0));
    Outcome o;
    o.location = "/admin/queue/" + domain;
    o.data = r;
    return o;
}

Outcome AdminViews::message_action(const std::string& id, const std::string& action,
                                   const json& fields, const std::string& user) {
    if (!s_.queue) return no_queue();
    if (action != "hold" && action != "release" && action != "delete" && action != "bounce") {
        return refusal(404, "There is no admin action here.");
    }
    json r = control::handle_request(*s_.queue, {{"cmd", action}, {"id", id}});
    if (!r.value("ok", false)) {
        return refusal(r.value("not_found", false) ? 404 : 409, r.value("error", "failed"));
    }
    spdlog::info("web admin user=\"{}\" id={} status={}", user, id, action);
    Outcome o;
    o.location = admin_back_to(fields, "/admin");
    o.data = r;
    return o;
}

}  // namespace holdfast::web
