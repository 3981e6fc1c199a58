// The queue admin requests of protocol.hpp, answered against the spool (and
// the daemon's hooks when it runs).
#include <spdlog/spdlog.h>

#include "control/protocol.hpp"
#include "control/summary.hpp"
#include "mail/address.hpp"
#include "metrics/events.hpp"
#include "util/base64.hpp"

namespace holdfast::control {

namespace {

using queue::RecipientState;

json not_found(const std::string& id) {
    return error_response("no such message: " + id, true);
}

json failure(const std::string& id, std::error_code ec) {
    return ec == queue::Errc::no_such_message ? not_found(id)
                                              : error_response(id + ": " + ec.message());
}

json show(Admin& a, const std::string& id) {
    auto env = a.spool.get(id);
    std::string data;
    std::error_code ec = env ? a.spool.read_message(id, data) : queue::Errc::no_such_message;
    if (ec) return failure(id, ec);
    return {{"ok", true},
            {"message", message_state_json(a, *env)},
            {"data_base64", util::base64_encode(data)}};
}

// Everything still pending fails now and the sender hears about it in one
// report (never when the sender is <>). `status` is the RFC 3463 code the
// report gives, `why` its words.
json return_to_sender(Admin& a, const std::string& id, const std::string& status,
                      const std::string& why) {
    auto env = a.spool.get(id);
    std::string message;
    std::error_code ec = env ? a.spool.read_message(id, message) : queue::Errc::no_such_message;
    if (ec) return failure(id, ec);
    auto now = std::chrono::system_clock::now();
    std::vector<dsn::RecipientStatus> report;
    // Decided under the spool's lock, on the current states: a recipient a
    // courier delivered meanwhile is not reported as failed.
    ec = a.spool.modify_recipients(
        id, [&](std::vector<queue::Recipient>& rcpts, std::chrono::system_clock::time_point&) {
            for (auto& r : rcpts) {
                if (r.state != RecipientState::pending) continue;
                dsn::RecipientStatus rs;
                rs.final_recipient = r.address;
                rs.status = status;
                rs.diagnostic = r.last_error.empty() ? why : why + "; last error: " + r.last_error;
                rs.last_attempt = now;
                report.push_back(std::move(rs));
                r.state = RecipientState::failed;
                r.last_error = why;
            }
        });
    if (ec) return failure(id, ec);
    for (const auto& r : report) {
        metrics::count_delivery("bounced");
        spdlog::warn("id={} from=<{}> to=<{}> status=bounced dsn={} reason=\"{}\"", id, env->sender,
                     r.final_recipient, status, why);
    }
    std::string notice =
        report.empty() ? ""
                       : delivery::queue_notice(a.spool, *env, message, report, a.notices, now);
    return {{"ok", true}, {"notice", notice}, {"recipients", report.size()}};
}

json remove(Admin& a, const std::string& id, bool bounce) {
    if (bounce) {
        json r = return_to_sender(a, id, "5.0.0", "deleted from the queue by the postmaster");
        // Nothing was pending, so the message may still be there: delete it too.
        if (!r.value("ok", false)) return r;
        auto ec = a.spool.remove(id);
        if (ec && ec != queue::Errc::no_such_message) return failure(id, ec);
        return r;
    }
    if (auto ec = a.spool.remove(id)) return failure(id, ec);
    return {{"ok", true}};
}

std::string domain_of(const std::string& address) {
    return queue::destination_domain(address);
}

// The daemon is asked to try now; without one, the next attempt of every
// matching message is set to "as soon as possible" for the next start.
json flush(Admin& a, const std::string& domain_arg) {
    std::string domain = mail::normalize_domain(domain_arg);
    // From the index: a million queued envelopes are not read to count them.
    std::vector<std::string> matching;
    a.spool.for_each([&](const queue::QueuedMessage& m) {
        if (domain.empty() ? !m.pending.empty() : m.waits_for(domain)) matching.emplace_back(m.id);
    });
    const std::size_t count = matching.size();
    for (const auto& id : matching) {
        if (a.flush) break;
        a.spool.modify_recipients(
            id, [](std::vector<queue::Recipient>&, std::chrono::system_clock::time_point& next) {
                next = {};
            });
    }
    if (a.flush) a.flush(domain);
    spdlog::info("status=flush domain={} messages={}", domain.empty() ? "*" : domain, count);
    return {{"ok", true}, {"messages", count}};
}

// Hold: no delivery attempts until released (the couriers drop a held
// message from their schedules when they next come to it). Release: due
// at once again.
json set_held(Admin& a, const std::string& id, bool held) {
    auto ec = a.spool.modify_state(id, [&](queue::Envelope& env) {
        env.held = held;
        if (!held) env.next_attempt = {};
    });
    if (ec) return failure(id, ec);
    spdlog::info("id={} status={}", id, held ? "held" : "released");
    if (!held && a.reschedule) a.reschedule(id);
    return {{"ok", true}};
}

}  // namespace

// What the remote courier knows besides the spool. A message that waits
// behind a down destination was not tried itself: its last error is the
// destination's ("delivery temporarily suspended"), and it is not tried
// before the destination's next probe, whatever its own time says. A
// message whose attempt is under way is marked in_flight.
json message_state_json(Admin& a, const queue::Envelope& env) {
    json m = message_json(env);
    m["in_flight"] = a.in_flight && a.in_flight(env.id);
    if (a.next_probe && !env.held) {
        auto next = env.next_attempt == std::chrono::system_clock::time_point{} ? env.arrival
                                                                                : env.next_attempt;
        bool later = false;
        for (const auto& r : env.recipients) {
            if (r.state != RecipientState::pending || r.kind == queue::RecipientKind::local)
                continue;
            if (auto probe = a.next_probe(domain_of(r.address)); probe && *probe > next) {
                next = *probe;
                later = true;
            }
        }
        if (later) m["next_attempt"] = rfc3339(next);
    }
    if (!a.down_reason) return m;
    bool filled = false;
    for (auto& r : m["recipient_details"]) {
        if (r["state"] != "pending" || r["kind"] == "local") continue;
        if (!r["last_error"].get<std::string>().empty()) continue;  // (json::empty() is for arrays)
        std::string why = a.down_reason(domain_of(r["address"].get<std::string>()));
        if (why.empty()) continue;
        r["last_error"] = "delivery temporarily suspended: " + why;
        if (!filled && m["last_error"].get<std::string>().empty())
            m["last_error"] = r["last_error"];
        filled = true;
    }
    return m;
}

json handle_request(Admin& a, const json& request) {
    if (!request.is_object()) return error_response("request is not a JSON object");
    auto cmd_it = request.find("cmd");
    if (cmd_it == request.end() || !cmd_it->is_string())
        return error_response("request has no cmd");
    std::string cmd = cmd_it->get<std::string>();
    if (cmd == "customers-changed" || cmd.starts_with("watch-")) {
        if (!a.watch) return error_response("this daemon runs no watch ([watch] enabled = false)");
        return a.watch(request);
    }
    if (cmd == "reload") {
        if (!a.reload) return error_response("no daemon to reload");
        return a.reload();
    }
    if (cmd == "metrics") {
        if (!a.metrics_text) return error_response("metrics live in the daemon: it is not running");
        return {{"ok", true}, {"text", a.metrics_text()}};
    }
    if (cmd == "list") {
        json messages = json::array();
        for (const auto& env : a.spool.list()) messages.push_back(message_state_json(a, env));
        return {{"ok", true}, {"messages", messages}};
    }
    if (cmd == "summary") {
        return {{"ok", true},
                {"summary", queue_summary(a.spool, std::chrono::system_clock::now())}};
    }
    if (cmd == "flush") {
        auto d = request.find("domain");
        if (d != request.end() && !d->is_string()) return error_response("domain is not a string");
        return flush(a, d == request.end() ? "" : d->get<std::string>());
    }
    auto id_it = request.find("id");
    if (id_it == request.end() || !id_it->is_string()) return error_response("request has no id");
    std::string id = id_it->get<std::string>();
    if (cmd == "show") return show(a, id);
    if (cmd == "delete") return remove(a, id, request.value("bounce", false));
    if (cmd == "hold") return set_held(a, id, true);
    if (cmd == "release") return set_held(a, id, false);
    if (cmd == "bounce")
        return return_to_sender(a, id, "5.0.0", "returned to the sender by the postmaster");
    if (cmd == "expire")
        return return_to_sender(a, id, "4.4.7", "expired in the queue by the postmaster");
    return error_response("unknown cmd: " + cmd);
}

json handle_request(queue::Spool& spool, const json& request) {
    Admin a{spool, {}, {}, {}, {}, {}};
    return handle_request(a, request);
}

}  // namespace holdfast::control
