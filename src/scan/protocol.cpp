#include "scan/protocol.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace holdfast::scan {

std::string clamd_chunk_header(std::uint32_t n) {
    std::string h(4, '\0');
    h[0] = static_cast<char>((n >> 24) & 0xff);
    h[1] = static_cast<char>((n >> 16) & 0xff);
    h[2] = static_cast<char>((n >> 8) & 0xff);
    h[3] = static_cast<char>(n & 0xff);
    return h;
}

std::string printable(std::string_view s, std::size_t max) {
    std::string out;
    for (char c : s) {
        if (out.size() >= max) break;
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) continue;
        out += c;
    }
    return out;
}

namespace {

ClamdReply malformed(std::string_view why) {
    return ClamdReply{ClamdReply::Kind::error, "malformed clamd reply: " + std::string(why)};
}

bool is_name_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
}

}  // namespace

ClamdReply parse_clamd_reply(std::string_view r) {
    if (r.size() > kClamdMaxReply) return malformed("too long");
    while (!r.empty() && (r.back() == '\0' || r.back() == '\n' || r.back() == '\r')) {
        r.remove_suffix(1);
    }
    if (r.find('\0') != std::string_view::npos || r.find('\n') != std::string_view::npos) {
        return malformed("more than one line");
    }
    if (r.ends_with(" ERROR")) {
        std::string what = printable(r.substr(0, r.size() - 6), 200);
        return ClamdReply{ClamdReply::Kind::error, what.empty() ? "clamd error" : what};
    }
    constexpr std::string_view prefix = "stream: ";
    if (!r.starts_with(prefix)) return malformed("no \"stream:\" prefix");
    r.remove_prefix(prefix.size());
    if (r == "OK") return ClamdReply{ClamdReply::Kind::clean, {}};
    constexpr std::string_view found = " FOUND";
    if (!r.ends_with(found)) return malformed("neither OK nor FOUND");
    r.remove_suffix(found.size());
    // clamd may add the signature's hash ("NAME(md5:size) FOUND" with
    // ExtendedDetectionInfo); the name is what comes before it.
    if (auto paren = r.find('('); paren != std::string_view::npos && r.ends_with(")")) {
        r = r.substr(0, paren);
    }
    if (r.empty() || r.size() > 200) return malformed("bad virus name length");
    for (char c : r) {
        if (!is_name_char(c)) return malformed("bad character in virus name");
    }
    return ClamdReply{ClamdReply::Kind::virus, std::string(r)};
}

const char* action_name(SpamAction a) {
    switch (a) {
        case SpamAction::no_action:
            return "no action";
        case SpamAction::greylist:
            return "greylist";
        case SpamAction::add_header:
            return "add header";
        case SpamAction::rewrite_subject:
            return "rewrite subject";
        case SpamAction::soft_reject:
            return "soft reject";
        case SpamAction::reject:
            return "reject";
    }
    return "?";
}

namespace {

std::optional<SpamAction> action_from(std::string_view s) {
    for (SpamAction a :
         {SpamAction::no_action, SpamAction::greylist, SpamAction::add_header,
          SpamAction::rewrite_subject, SpamAction::soft_reject, SpamAction::reject}) {
        if (s == action_name(a)) return a;
    }
    return std::nullopt;
}

RspamdReply bad(std::string why) {
    RspamdReply r;
    r.error = "malformed rspamd reply: " + std::move(why);
    return r;
}

}  // namespace

RspamdReply parse_rspamd_reply(std::string_view body) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return bad("not JSON");
    if (!j.is_object()) return bad("not a JSON object");
    if (auto e = j.find("error"); e != j.end()) {
        RspamdReply r;
        r.error = "rspamd: " + printable(e->is_string() ? e->get<std::string>() : e->dump(), 200);
        return r;
    }
    auto action = j.find("action");
    if (action == j.end() || !action->is_string()) return bad("no action");
    auto a = action_from(action->get_ref<const std::string&>());
    if (!a) return bad("unknown action");
    auto score = j.find("score");
    if (score == j.end() || !score->is_number()) return bad("no score");
    RspamdReply r;
    r.score = score->get<double>();
    if (!std::isfinite(r.score)) return bad("score is not finite");
    if (auto req = j.find("required_score"); req != j.end()) {
        if (!req->is_number() || !std::isfinite(req->get<double>())) {
            return bad("required_score is not a number");
        }
        r.required = req->get<double>();
    }
    if (auto s = j.find("subject"); s != j.end()) {
        if (!s->is_string()) return bad("subject is not a string");
        r.subject = printable(s->get_ref<const std::string&>(), 900);
    }
    r.ok = true;
    r.action = *a;
    return r;
}

std::vector<std::pair<std::string, std::string>> rspamd_headers(const RspamdEnvelope& e) {
    std::vector<std::pair<std::string, std::string>> h;
    auto add = [&](std::string name, std::string_view value) {
        h.emplace_back(std::move(name), printable(value, 998));
    };
    if (!e.client_ip.empty()) add("IP", e.client_ip);
    if (!e.helo.empty()) add("Helo", e.helo);
    add("From", e.sender.empty() ? "<>" : e.sender);
    for (const auto& r : e.recipients) add("Rcpt", r);
    if (!e.auth_user.empty()) add("User", e.auth_user);
    if (!e.queue_id.empty()) add("Queue-Id", e.queue_id);
    return h;
}

}  // namespace holdfast::scan
