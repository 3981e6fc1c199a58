// holdfast queue list [--json] | show ID | delete [--bounce] ID... | hold ID... |
//                release ID... | bounce ID... | expire ID... | flush [--domain D] |
//                summary [--json]
// Through the running daemon's control socket, or on the spool directly when
// no daemon runs (control::run_requests decides; see src/control/client.hpp).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/command.hpp"
#include "config/config.hpp"
#include "control/client.hpp"
#include "delivery/notice.hpp"
#include "util/base64.hpp"

namespace holdfast::cli {

namespace {

using control::json;

struct QueueArgs {
    bool json_output = false;
    bool bounce = false;
    std::string domain;
    std::vector<std::string> ids;
};

// The config from -c FILE; nullopt (error printed) if it is bad.
std::optional<config::Config> load_config(const Command& cmd) {
    config::LoadResult r = config::load_file(cmd.config_path);
    if (!r.config) {
        print_error(r.diagnostics.empty() ? cmd.config_path + ": invalid configuration"
                                          : r.diagnostics.front().str());
        return std::nullopt;
    }
    return std::move(*r.config);
}

// Opening the spool directly runs recovery, which reports corrupt files
// through spdlog: show warnings and errors on stderr in the CLI's one error
// format, and keep informational lines out of the command's output.
void route_logs_to_stderr() {
    auto logger = spdlog::stderr_logger_mt("holdfast-queue");
    logger->set_pattern("holdfast: %v");
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

// Runs the requests; nullopt (error printed) when neither daemon nor spool answers.
std::optional<std::vector<json>> run(const Command& cmd, const std::vector<json>& requests) {
    auto config = load_config(cmd);
    if (!config) return std::nullopt;
    route_logs_to_stderr();
    std::vector<json> responses;
    const std::string& dir = config->server.spool;
    if (auto ec = control::run_requests(dir, requests, responses,
                                        delivery::notice_settings_from(*config))) {
        print_error("queue " + dir + ": " + ec.message());
        return std::nullopt;
    }
    return responses;
}

std::string str(const json& j, const char* key);

// One request; the successful response, or nullopt with the error printed
// and `status` set (1 for an unknown id, else 2).
std::optional<json> ask(const Command& cmd, const json& request, int& status) {
    auto r = run(cmd, {request});
    status = 2;
    if (!r) return std::nullopt;
    json& resp = r->front();
    if (!resp.value("ok", false)) {
        print_error(str(resp, "error"));
        if (resp.value("not_found", false)) status = 1;
        return std::nullopt;
    }
    status = 0;
    return std::move(resp);
}

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string sender_text(const json& m) {
    std::string s = str(m, "sender");
    return s.empty() ? "<>" : s;
}

// Errors carry text from remote servers: keep them on one line.
std::string one_line(std::string s) {
    for (char& c : s) {
        if (c == '\r' || c == '\n') c = ' ';
    }
    return s;
}

// mailq's layout: one block per message, the last error in parentheses
// above the recipient it applies to.
void print_list(const json& messages) {
    if (messages.empty()) {
        std::cout << "Mail queue is empty\n";
        return;
    }
    // As mailq: "!" after the id marks a held message, "*" one whose
    // delivery is under way. Next Attempt is the later of the message's own
    // time and its destination's next probe while that is down.
    std::cout << "-Queue ID------- --Size-- ----Arrival Time---- ----Next Attempt---- "
                 "-Sender/Recipient-------\n";
    std::uint64_t total = 0;
    for (const auto& m : messages) {
        auto size = m.value("size", std::uint64_t{0});
        total += size;
        std::string id = str(m, "id") + (m.value("held", false)        ? "!"
                                         : m.value("in_flight", false) ? "*"
                                                                       : "");
        std::cout << fmt::format("{:<16} {:>8} {:<20} {:<20} {}\n", id, size, str(m, "arrival"),
                                 str(m, "next_attempt"), sender_text(m));
        for (const auto& r : m.value("recipient_details", json::array())) {
            if (str(r, "state") != "pending") continue;
            std::string err = str(r, "last_error");
            if (!err.empty()) std::cout << std::string(70, ' ') << "(" << one_line(err) << ")\n";
            std::cout << std::string(68, ' ') << str(r, "address") << "\n";
        }
        std::cout << "\n";
    }
    std::cout << "-- " << (total + 1023) / 1024 << " KiB in " << messages.size()
              << (messages.size() == 1 ? " message.\n" : " messages.\n");
}

// The CONTRACT.md objects only; recipient_details and friends are for `show`.
json list_json(const json& messages) {
    json out = json::array();
    for (const auto& m : messages) {
        json o;
        for (const char* k :
             {"id", "sender", "recipients", "size", "arrival", "next_attempt", "last_error"}) {
            o[k] = m.value(k, json());
        }
        o["in_flight"] = m.value("in_flight", false);  // a delivery attempt is under way
        out.push_back(std::move(o));
    }
    return out;
}

void print_show(const json& resp) {
    const json& m = resp["message"];
    std::cout << "id: " << str(m, "id") << "\n"
              << "arrival: " << str(m, "arrival") << "\n"
              << "size: " << m.value("size", std::uint64_t{0}) << "\n"
              << "sender: <" << str(m, "sender") << ">\n"
              << "client: " << str(m, "client") << "\n";
    if (!str(m, "auth_user").empty()) std::cout << "auth_user: " << str(m, "auth_user") << "\n";
    std::cout << "smtputf8: " << (m.value("smtputf8", false) ? "yes" : "no") << "\n"
              << "next_attempt: " << str(m, "next_attempt") << "\n";
    if (m.value("attempts", 0u) > 0) std::cout << "attempts: " << m.value("attempts", 0u) << "\n";
    if (m.value("in_flight", false))
        std::cout << "in flight: yes (a delivery attempt is under way)\n";
    if (m.value("held", false)) std::cout << "held: yes (queue release " << str(m, "id") << ")\n";
    if (m.value("warned", false)) std::cout << "delay notice: sent\n";
    if (!str(m, "ret").empty()) std::cout << "dsn ret: " << str(m, "ret") << "\n";
    if (!str(m, "envid").empty()) std::cout << "dsn envid: " << str(m, "envid") << "\n";
    for (const auto& r : m.value("recipient_details", json::array())) {
        std::cout << "recipient: <" << str(r, "address") << "> kind=" << str(r, "kind")
                  << " state=" << str(r, "state");
        if (!str(r, "notify").empty()) std::cout << " notify=" << str(r, "notify");
        if (!str(r, "orcpt").empty()) std::cout << " orcpt=" << str(r, "orcpt");
        if (!str(r, "last_error").empty()) std::cout << " error=" << one_line(str(r, "last_error"));
        std::cout << "\n";
    }
    std::cout << "\n" << util::base64_decode(str(resp, "data_base64")).value_or("");
}

int list(const Command& cmd, const QueueArgs& args) {
    int status;
    auto resp = ask(cmd, {{"cmd", "list"}}, status);
    if (!resp) return status;
    const json& messages = (*resp)["messages"];
    if (args.json_output) {
        std::cout << list_json(messages).dump(2, ' ', false, json::error_handler_t::replace)
                  << "\n";
    } else {
        print_list(messages);
    }
    return 0;
}

int show(const Command& cmd, const QueueArgs& args) {
    int status;
    auto resp = ask(cmd, {{"cmd", "show"}, {"id", args.ids.front()}}, status);
    if (!resp) return status;
    print_show(*resp);
    return 0;
}

// One request per id; `done` says what happened to each ("deleted").
int per_id(const Command& cmd, const QueueArgs& args, const std::string& what, json request,
           const char* done) {
    std::vector<json> requests;
    for (const auto& id : args.ids) {
        request["cmd"] = what;
        request["id"] = id;
        requests.push_back(request);
    }
    auto r = run(cmd, requests);
    if (!r) return 2;
    int status = 0;
    for (std::size_t i = 0; i < r->size(); ++i) {
        const json& resp = (*r)[i];
        if (!resp.value("ok", false)) {
            print_error(str(resp, "error"));
            status = std::max(status, resp.value("not_found", false) ? 1 : 2);
            continue;
        }
        std::cout << args.ids[i] << ": " << done;
        if (resp.contains("recipients")) {
            auto n = resp.value("recipients", 0);
            std::string notice = str(resp, "notice");
            std::cout << " (" << n << (n == 1 ? " recipient" : " recipients");
            if (!notice.empty()) std::cout << ", notice " << notice << " to the sender";
            std::cout << ")";
        }
        std::cout << "\n";
    }
    return status;
}

int flush(const Command& cmd, const QueueArgs& args) {
    json request = {{"cmd", "flush"}};
    if (!args.domain.empty()) request["domain"] = args.domain;
    int status;
    auto resp = ask(cmd, request, status);
    if (!resp) return status;
    auto n = resp->value("messages", 0);
    std::cout << "flush requested: " << n << (n == 1 ? " message" : " messages")
              << (args.domain.empty() ? "" : " for " + args.domain) << "\n";
    return 0;
}

// qshape's table: one row per destination domain, messages per age bucket.
void print_summary(const json& s) {
    std::string head = fmt::format("{:>32} {:>6} {:>10}", "", "T", "bytes");
    for (const auto& b : s["buckets"]) head += fmt::format(" {:>6}", b.get<std::string>());
    std::cout << head << "\n";
    auto row = [](const json& r) {
        std::string line = fmt::format("{:>32} {:>6} {:>10}", str(r, "domain"),
                                       r.value("messages", 0), r.value("bytes", 0));
        for (const auto& n : r["ages"]) line += fmt::format(" {:>6}", n.get<std::uint64_t>());
        std::cout << line << "\n";
    };
    row(s["total"]);
    for (const auto& r : s["domains"]) row(r);
}

int summary(const Command& cmd, const QueueArgs& args) {
    int status;
    auto resp = ask(cmd, {{"cmd", "summary"}}, status);
    if (!resp) return status;
    if (args.json_output) {
        std::cout << (*resp)["summary"].dump(2) << "\n";
    } else {
        print_summary((*resp)["summary"]);
    }
    return 0;
}

// Each leaf takes -c too, so `holdfast queue list -c FILE` works as CONTRACT.md says.
CLI::App* leaf(CLI::App* queue, const char* name, const char* what, Command& cmd,
               std::function<int()> action) {
    CLI::App* sub = queue->add_subcommand(name, what);
    sub->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    sub->callback([&cmd, action = std::move(action)] { cmd.action = action; });
    return sub;
}

}  // namespace

void add_queue(CLI::App& app, Command& cmd) {
    auto args = std::make_shared<QueueArgs>();
    CLI::App* queue = app.add_subcommand("queue", "Inspect and manage the mail queue");
    queue->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    queue->require_subcommand(1);
    CLI::App* l = leaf(queue, "list", "List queued messages (like mailq)", cmd,
                       [&cmd, args] { return list(cmd, *args); });
    l->add_flag("--json", args->json_output, "JSON output");
    leaf(queue, "show", "Show a message's envelope and content", cmd,
         [&cmd, args] { return show(cmd, *args); })
        ->add_option("id", args->ids, "Queue id")
        ->required()
        ->expected(1);
    CLI::App* d = leaf(queue, "delete", "Delete messages from the queue", cmd, [&cmd, args] {
        return per_id(cmd, *args, "delete", {{"bounce", args->bounce}}, "deleted");
    });
    d->add_flag("--bounce", args->bounce, "Send the sender a bounce for what was pending");
    d->add_option("ids", args->ids, "Queue ids")->required();
    leaf(queue, "hold", "Hold messages: no delivery attempts until released", cmd,
         [&cmd, args] { return per_id(cmd, *args, "hold", json::object(), "held"); })
        ->add_option("ids", args->ids, "Queue ids")
        ->required();
    leaf(queue, "release", "Release held messages: due at once", cmd,
         [&cmd, args] { return per_id(cmd, *args, "release", json::object(), "released"); })
        ->add_option("ids", args->ids, "Queue ids")
        ->required();
    leaf(queue, "bounce", "Return messages to their senders now (5.0.0)", cmd,
         [&cmd, args] { return per_id(cmd, *args, "bounce", json::object(), "bounced"); })
        ->add_option("ids", args->ids, "Queue ids")
        ->required();
    leaf(queue, "expire", "Expire messages now: bounced as if their lifetime were over", cmd,
         [&cmd, args] { return per_id(cmd, *args, "expire", json::object(), "expired"); })
        ->add_option("ids", args->ids, "Queue ids")
        ->required();
    leaf(queue, "flush", "Try delivery of queued mail now", cmd, [&cmd, args] {
        return flush(cmd, *args);
    })->add_option("--domain", args->domain, "Only mail for this destination domain");
    leaf(queue, "summary", "Messages per destination domain and age (like qshape)", cmd,
         [&cmd, args] { return summary(cmd, *args); })
        ->add_flag("--json", args->json_output, "JSON output");
}

}  // namespace holdfast::cli
