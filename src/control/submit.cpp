#include "control/submit.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <future>

#include "mail/address.hpp"
#include "mail/queue_id.hpp"
#include "policy/recipient_policy.hpp"
#include "sendmail/message.hpp"

namespace holdfast::control {

using json = nlohmann::json;

namespace {

json refused(const std::string& what, bool temporary = false) {
    return {{"ok", false}, {"error", what}, {"temporary", temporary}};
}

bool non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) > 127; });
}

// RFC 5321 4.4, in Postfix's words for a local submission.
std::string received(const Submitter& who, const std::string& host, const std::string& id,
                     std::chrono::system_clock::time_point now) {
    return fmt::format("Received: by {} (Holdfast, from userid {} ({}))\r\n\tid {}; {}\r\n", host,
                       who.uid, who.user, id, sendmail::rfc5322_date(now));
}

}  // namespace

json submit(queue::Spool& spool, const config::Config& config, const Submitter& who,
            const SubmitRequest& req, std::string_view message) {
    const std::string& host = config.server.hostname;
    auto now = std::chrono::system_clock::now();
    queue::Envelope env;
    env.id = mail::new_queue_id();
    env.arrival = now;
    env.client = fmt::format("local uid={} user={} pid={}", who.uid, who.user, who.pid);
    env.auth_user = who.user;
    // Default sender: the invoking user at our host name (Postfix: myorigin).
    env.sender = req.sender_set ? req.sender : who.user + "@" + host;
    if (!env.sender.empty() && !mail::parse_mailbox(env.sender, true)) {
        return refused(fmt::format("sender <{}> is not a valid address", env.sender));
    }

    sendmail::PrepareInput in;
    in.sender = env.sender;
    in.full_name = req.full_name;
    in.extract = req.extract;
    in.domain = host;
    in.queue_id = env.id;
    in.now = now;
    sendmail::Prepared p = sendmail::prepare(message, in);
    std::string data = received(who, host, env.id, now) + p.message;
    if (data.size() > config.limits.message_size) {
        return refused(fmt::format("message size {} exceeds the limit of {}", data.size(),
                                   config.limits.message_size));
    }

    // Named recipients, then the extracted ones (Postfix: -t adds to them).
    std::vector<std::string> all = req.recipients;
    for (const auto& r : p.recipients) {
        if (std::find(all.begin(), all.end(), r) == all.end()) all.push_back(r);
    }
    if (all.empty()) return refused("no recipients (none named, none found by -t)");
    policy::RecipientPolicy policy(config);
    policy::Client client;
    client.address = *util::parse_ip("127.0.0.1");
    client.local_address = client.address;
    client.authenticated = true;  // a local user: may relay, like Postfix's sendmail
    json accepted = json::array();
    for (const auto& text : all) {
        std::string bare = text;
        if (bare.size() > 2 && bare.front() == '<' && bare.back() == '>') {
            bare = bare.substr(1, bare.size() - 2);
        }
        if (bare.find('@') == std::string::npos) bare += "@" + host;
        auto addr = mail::parse_mailbox(bare, true);
        if (!addr) return refused(fmt::format("recipient <{}> is not a valid address", text));
        auto d = policy.decide(*addr, client);
        queue::RecipientKind kind;
        switch (d.destination) {
            case policy::Destination::local:
                kind = queue::RecipientKind::local;
                break;
            case policy::Destination::backup:
                kind = queue::RecipientKind::backup;
                break;
            case policy::Destination::relay:
                kind = queue::RecipientKind::relay;
                break;
            default:
                return refused(fmt::format("recipient <{}>: {} {}", bare, d.reply.code,
                                           fmt::join(d.reply.lines, " ")),
                               d.reply.code >= 400 && d.reply.code < 500);
        }
        queue::Recipient r;
        r.address = d.address.str();
        r.kind = kind;
        env.smtputf8 = env.smtputf8 || non_ascii(r.address);
        accepted.push_back(r.address);
        env.recipients.push_back(std::move(r));
    }
    env.smtputf8 = env.smtputf8 || non_ascii(env.sender);

    std::promise<std::error_code> stored;
    auto done = stored.get_future();
    std::string id = env.id, sender = env.sender;
    spool.store(std::move(env), std::move(data),
                [&stored](std::error_code ec) { stored.set_value(ec); });
    if (auto ec = done.get()) {
        spdlog::error("id={} status=submit-failed uid={} error=\"{}\"", id, who.uid, ec.message());
        return refused("queue: " + ec.message(), true);
    }
    spdlog::info("id={} from=<{}> status=submitted via=sendmail uid={} user={} nrcpt={}", id,
                 sender, who.uid, who.user, accepted.size());
    return {{"ok", true}, {"id", id}, {"recipients", accepted}};
}

}  // namespace holdfast::control
