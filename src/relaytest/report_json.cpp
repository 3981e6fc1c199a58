// The machine form of a report. CONTRACT.md fixes target, verdict, reason and
// vectors[{id, mail_from, rcpt_to, tls, result, reply}]; the rest is extra.
#include <nlohmann/json.hpp>

#include "relaytest/report.hpp"

namespace holdfast::relaytest {

std::string to_json(const Report& r) {
    nlohmann::ordered_json j;
    j["target"] = r.target;
    j["verdict"] = std::string(to_string(r.verdict));
    j["reason"] = r.reason;
    auto& vs = j["vectors"] = nlohmann::ordered_json::array();
    for (const auto& v : r.vectors) {
        nlohmann::ordered_json o;
        o["id"] = v.id;
        o["mail_from"] = v.mail_from;
        o["rcpt_to"] = v.rcpt_to;
        o["tls"] = v.tls;
        o["result"] = std::string(to_string(v.result));
        o["reply"] = v.reply;
        o["probes"] = v.probes;
        o["helo"] = v.helo;
        o["via_target"] = v.via_target;
        o["via_domain"] = v.via_domain;
        o["substitute_from"] = v.substitute_from;
        o["rcpt_tried"] = v.rcpt_tried;
        o["note"] = v.note;
        o["session"] = v.session;
        vs.push_back(std::move(o));
    }
    j["address"] = r.address;
    j["banner"] = r.banner;
    j["starttls_offered"] = r.starttls_offered;
    j["tls_used"] = r.tls_used;
    j["deliver"] = r.deliver;
    if (r.deliver) j["token"] = r.token;
    j["to"] = r.to;
    j["notes"] = r.notes;
    j["sessions"] = r.sessions;
    j["elapsed_seconds"] = r.elapsed;
    if (r.has_transcript) {
        auto& t = j["transcript"] = nlohmann::ordered_json::array();
        for (const auto& line : r.transcript.lines()) {
            t.push_back({{"t", line.seconds},
                         {"session", line.session},
                         {"dir", std::string(direction_mark(line.direction))},
                         {"text", line.text}});
        }
    }
    // Replies are untrusted bytes: never let one make the document invalid.
    return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace holdfast::relaytest
