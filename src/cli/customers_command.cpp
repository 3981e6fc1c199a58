// holdfast customers add NAME --email ADDR... --domain D... [--network CIDR...] [--notes TEXT]
//                        [--scan]
//                    scan NAME on|off | list [--json] | show NAME [--json] | suspend NAME |
//                    unsuspend NAME | remove NAME
// The CLI works on the store itself (SQLite in WAL mode and PostgreSQL both
// take a second writer), then tells a running daemon that the customers
// changed, so a new domain is served at once.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/store_access.hpp"
#include "store/customer_input.hpp"
#include "util/strings.hpp"

namespace holdfast::cli {
namespace {

using json = nlohmann::json;

struct CustomerArgs {
    std::string name, notes;
    std::vector<std::string> emails, domains, networks;
    bool json_output = false;
    bool scan = false;
    std::string on_off;  // customers scan NAME on|off
};

int add(const Command& cmd, CustomerArgs& a) {
    std::string why;
    auto checked =
        store::checked_customer({a.name, a.emails, a.domains, a.networks, a.notes, a.scan}, &why);
    if (!checked) {
        print_error(why);
        return 2;
    }
    const store::Customer& c = *checked;
    return with_store(cmd, [&](store::Store& s, const config::Config& config) {
        std::string why;
        if (!s.add_customer(c, std::chrono::system_clock::now(), &why)) {
            print_error(why);
            return 1;
        }
        tell_daemon(config);
        std::cout << "customer " << c.name << " added: " << join(c.domains, ", ") << "\n";
        return 0;
    });
}

int list(const Command& cmd, const CustomerArgs& a) {
    return with_store(cmd, [&](store::Store& s, const config::Config&) {
        auto all = s.customers();
        if (a.json_output) {
            json out = json::array();
            for (const auto& c : all) out.push_back(store::customer_json(c));
            std::cout << out.dump(2) << "\n";
            return 0;
        }
        for (const auto& c : all) {
            std::cout << fmt::format("{:<20} {:<9} {:<30} {}\n", c.name,
                                     store::status_name(c.status), join(c.domains, ","),
                                     join(c.emails, ","));
        }
        return 0;
    });
}

int show(const Command& cmd, const CustomerArgs& a) {
    return with_store(cmd, [&](store::Store& s, const config::Config&) {
        auto c = s.customer(a.name);
        if (!c) {
            print_error("no such customer: " + a.name);
            return 1;
        }
        json j = store::customer_json(*c);
        json mx = json::object();
        for (const auto& d : c->domains) {
            json hist = json::array();
            for (const auto& ch : s.mx_history(d)) {
                json after = json::array();
                for (const auto& h : ch.after) {
                    after.push_back({{"preference", h.preference},
                                     {"host", h.host},
                                     {"addresses", h.addresses}});
                }
                hist.push_back({{"at", rfc3339(ch.at)}, {"mx", after}});
            }
            mx[d] = hist;
        }
        j["mx_history"] = mx;
        json vs = json::array();
        for (const auto& v : s.violations(c->name)) vs.push_back(violation_json(v));
        j["violations"] = vs;
        if (a.json_output) {
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        std::cout << "name:     " << c->name << "\nstatus:   " << store::status_name(c->status)
                  << "\nemails:   " << join(c->emails, ", ")
                  << "\ndomains:  " << join(c->domains, ", ")
                  << "\nnetworks: " << join(c->networks, ", ") << "\n";
        if (!c->notes.empty()) std::cout << "notes:    " << c->notes << "\n";
        for (const auto& [domain, hist] : mx.items()) {
            for (const auto& h : hist) {
                std::vector<std::string> hosts;
                for (const auto& m : h["mx"]) {
                    hosts.push_back(fmt::format("{} {}", m["preference"].get<int>(),
                                                m["host"].get<std::string>()));
                }
                std::cout << "mx " << domain << " " << h["at"].get<std::string>() << ": "
                          << join(hosts, ", ") << "\n";
            }
        }
        for (const auto& v : vs) {
            std::cout << fmt::format("violation {} {} {} ${} {}\n", v["id"].get<std::string>(),
                                     v["found"].get<std::string>(), v["target"].get<std::string>(),
                                     v["charge"].get<long>(), v["status"].get<std::string>());
        }
        return 0;
    });
}

int set_status(const Command& cmd, const CustomerArgs& a, store::Status st) {
    return with_store(cmd, [&](store::Store& s, const config::Config& config) {
        if (!s.set_status(a.name, st)) {
            print_error("no such customer: " + a.name);
            return 1;
        }
        tell_daemon(config);
        std::cout << "customer " << a.name << " " << store::status_name(st) << "\n";
        return 0;
    });
}

int set_scan(const Command& cmd, const CustomerArgs& a) {
    if (a.on_off != "on" && a.on_off != "off") {
        print_error("expected on or off, not \"" + a.on_off + "\"");
        return 2;
    }
    return with_store(cmd, [&](store::Store& s, const config::Config& config) {
        if (!s.set_scan(a.name, a.on_off == "on")) {
            print_error("no such customer: " + a.name);
            return 1;
        }
        tell_daemon(config);
        std::cout << "customer " << a.name << " scan " << a.on_off << "\n";
        return 0;
    });
}

int remove(const Command& cmd, const CustomerArgs& a) {
    return with_store(cmd, [&](store::Store& s, const config::Config& config) {
        if (!s.remove_customer(a.name)) {
            print_error("no such customer: " + a.name);
            return 1;
        }
        tell_daemon(config);
        std::cout << "customer " << a.name << " removed (history kept)\n";
        return 0;
    });
}

}  // namespace

void add_customers(CLI::App& app, Command& cmd) {
    auto args = std::make_shared<CustomerArgs>();
    CLI::App* sub = app.add_subcommand("customers", "The watch's customers (ISP)");
    sub->require_subcommand(1);
    auto config_opt = [&cmd](CLI::App* s) {
        s->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    };
    CLI::App* a = sub->add_subcommand("add", "Add a customer");
    config_opt(a);
    a->add_option("name", args->name, "Customer name")->required();
    a->add_option("--email", args->emails, "Contact address (repeatable)")->required();
    a->add_option("--domain", args->domains, "Domain we are backup MX for (repeatable)")
        ->required();
    a->add_option("--network", args->networks, "The customer's network, CIDR (repeatable)");
    a->add_option("--notes", args->notes, "Free text");
    a->add_flag("--scan", args->scan, "Scan mail for its domains for viruses and spam ([scan])");
    a->callback([&cmd, args] { cmd.action = [&cmd, args] { return add(cmd, *args); }; });

    CLI::App* l = sub->add_subcommand("list", "List customers");
    config_opt(l);
    l->add_flag("--json", args->json_output, "JSON output");
    l->callback([&cmd, args] { cmd.action = [&cmd, args] { return list(cmd, *args); }; });

    CLI::App* s = sub->add_subcommand("show", "One customer, MX history, violations");
    config_opt(s);
    s->add_option("name", args->name)->required();
    s->add_flag("--json", args->json_output, "JSON output");
    s->callback([&cmd, args] { cmd.action = [&cmd, args] { return show(cmd, *args); }; });

    for (auto [verb, st] : {std::pair{"suspend", store::Status::suspended},
                            std::pair{"unsuspend", store::Status::active}}) {
        CLI::App* v = sub->add_subcommand(
            verb, st == store::Status::suspended
                      ? "Suspend: the backup MX answers 450 4.7.1 for its domains"
                      : "Serve the customer's domains again");
        config_opt(v);
        v->add_option("name", args->name)->required();
        v->callback([&cmd, args, st = st] {
            cmd.action = [&cmd, args, st] { return set_status(cmd, *args, st); };
        });
    }
    CLI::App* sc = sub->add_subcommand("scan", "Turn content scanning on or off for a customer");
    config_opt(sc);
    sc->add_option("name", args->name)->required();
    sc->add_option("state", args->on_off, "on or off")->required();
    sc->callback([&cmd, args] { cmd.action = [&cmd, args] { return set_scan(cmd, *args); }; });
    CLI::App* r = sub->add_subcommand("remove", "Remove a customer (history is kept)");
    config_opt(r);
    r->add_option("name", args->name)->required();
    r->callback([&cmd, args] { cmd.action = [&cmd, args] { return remove(cmd, *args); }; });
}

}  // namespace holdfast::cli
