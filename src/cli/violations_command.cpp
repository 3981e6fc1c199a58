// holdfast violations list [--json] [--customer NAME] | show ID [--json] | resolve ID | paid ID
// On the store directly (like `customers`); a running daemon needs no nudge:
// it reads violations from the store when it next needs them.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/store_access.hpp"

namespace holdfast::cli {
namespace {

using json = nlohmann::json;

struct ViolationArgs {
    std::string customer, id;
    bool json_output = false;
};

std::optional<std::int64_t> parse_id(const std::string& s) {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    return std::stoll(s);
}

int list(const Command& cmd, const ViolationArgs& a) {
    return with_store(cmd, [&](store::Store& s, const config::Config&) {
        auto all = s.violations(a.customer);
        if (a.json_output) {
            json out = json::array();
            for (const auto& v : all) out.push_back(store::violation_json(v));
            std::cout << out.dump(2) << "\n";
            return 0;
        }
        for (const auto& v : all) {
            std::cout << fmt::format("{:<6} {:<16} {} {:<22} ${:<5} {:<8} {}\n", v.id, v.customer,
                                     rfc3339(v.found), v.target, v.charge,
                                     v.open ? "open" : "resolved", v.paid ? "paid" : "unpaid");
        }
        return 0;
    });
}

// show / resolve / paid: one violation by id.
int one(const Command& cmd, const ViolationArgs& a, const std::string& verb) {
    auto id = parse_id(a.id);
    if (!id) {
        print_error("no such violation: " + a.id);
        return 1;
    }
    return with_store(cmd, [&](store::Store& s, const config::Config&) {
        auto v = s.violation(*id);
        if (!v) {
            print_error("no such violation: " + a.id);
            return 1;
        }
        if (verb == "resolve") {
            if (!s.resolve_violation(*id, 0, std::chrono::system_clock::now())) {
                std::cout << "violation " << *id << " was resolved already\n";
            } else {
                std::cout << "violation " << *id << " resolved by hand\n";
            }
            return 0;
        }
        if (verb == "paid") {
            s.mark_paid(*id);
            std::cout << "violation " << *id << " paid\n";
            return 0;
        }
        json j = store::violation_json(*v);
        auto test = s.relay_test(v->test);
        if (test) {
            j["relay_test"] = {{"id", std::to_string(test->id)},
                               {"trigger", test->trigger},
                               {"verdict", test->verdict},
                               {"reason", test->reason},
                               {"vectors", json::parse(test->vectors_json, nullptr, false)},
                               {"transcript", test->transcript}};
        }
        if (a.json_output) {
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        std::cout << fmt::format(
            "violation {}\ncustomer: {}\nfound:    {}\ntarget:   {}\ncharge:   ${}\nstatus:   "
            "{}{}\npaid:     {}\nnotices:  {}\n",
            v->id, v->customer, rfc3339(v->found), v->target, v->charge,
            v->open ? "open" : "resolved",
            v->resolved ? " " + rfc3339(*v->resolved) +
                              (v->resolved_by ? " by relay test " + std::to_string(v->resolved_by)
                                              : std::string(" by hand"))
                        : "",
            v->paid ? "yes" : "no", v->notices);
        if (test) {
            std::cout << fmt::format("relay test {} ({}): {}: {}\n", test->id, test->trigger,
                                     test->verdict, test->reason);
            if (!test->transcript.empty()) std::cout << "\n" << test->transcript << "\n";
        }
        return 0;
    });
}

}  // namespace

void add_violations(CLI::App& app, Command& cmd) {
    auto args = std::make_shared<ViolationArgs>();
    CLI::App* sub = app.add_subcommand("violations", "Open-relay violations and their charges");
    sub->require_subcommand(1);
    auto config_opt = [&cmd](CLI::App* s) {
        s->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    };
    CLI::App* l = sub->add_subcommand("list", "List violations");
    config_opt(l);
    l->add_flag("--json", args->json_output, "JSON output");
    l->add_option("--customer", args->customer, "Only this customer's");
    l->callback([&cmd, args] { cmd.action = [&cmd, args] { return list(cmd, *args); }; });
    for (const char* verb : {"show", "resolve", "paid"}) {
        CLI::App* v = sub->add_subcommand(
            verb, verb == std::string("show")      ? "One violation, with its relay test"
                  : verb == std::string("resolve") ? "Resolve by hand"
                                                   : "Mark the charge paid");
        config_opt(v);
        v->add_option("id", args->id)->required();
        if (verb == std::string("show")) v->add_flag("--json", args->json_output, "JSON output");
        v->callback([&cmd, args, verb] {
            cmd.action = [&cmd, args, verb] { return one(cmd, *args, verb); };
        });
    }
}

}  // namespace holdfast::cli
