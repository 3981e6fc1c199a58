// holdfast rbl IP-OR-DOMAIN: every zone at once, one row each, a summary;
// exit 0 not listed, 1 listed, 2 could not complete (see dnsbl/report.hpp).
#include <boost/asio.hpp>

#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "dnsbl/catalogue.hpp"
#include "dnsbl/lookup.hpp"
#include "dnsbl/report.hpp"

namespace holdfast::cli {
namespace {

struct RblArgs {
    std::string target;
    bool json = false;
    bool health = false;
    std::vector<std::string> zones;
    std::vector<std::string> dns;
    double timeout = 10;
};

// The config is optional here: an explicit -c must load, the default one
// is used only if it exists (the command also works outside a deployment).
std::optional<config::Config> load_config(const std::string& path, bool explicit_path,
                                          bool& failed) {
    if (!explicit_path && !std::filesystem::exists(path)) return config::Config{};
    config::LoadResult r = config::load_file(path);
    for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
    failed = !r.config;
    return r.config;
}

int run_rbl(const RblArgs& a, const std::string& config_path, bool explicit_config) {
    bool failed = false;
    auto cfg = load_config(config_path, explicit_config, failed);
    if (failed) return 2;
    auto target = dnsbl::parse_target(a.target);
    if (!target) {
        print_error("rbl: \"" + a.target + "\" is neither an IP address nor a domain name");
        return 2;
    }
    if (!(a.timeout > 0) || a.timeout > 3600) {
        print_error("rbl: --timeout must be between 0 and 3600 seconds");
        return 2;
    }
    std::vector<std::string> wanted = !a.zones.empty() ? a.zones
                                      : !cfg->dnsbl.zones.empty()
                                          ? cfg->dnsbl.zones
                                          : dnsbl::default_zones(target->kind);
    std::vector<std::string> zones;
    for (const auto& z : wanted) {
        if (dnsbl::serves(dnsbl::find_zone(z), target->kind)) zones.push_back(z);
    }

    // The deadline bounds everything; one question may use all of it, and
    // c-ares' retries are spread inside that window.
    using std::chrono::milliseconds;
    dnsbl::LookupOptions o;
    o.health = a.health;
    o.deadline = milliseconds(static_cast<long>(a.timeout * 1000));
    dns::ResolverOptions ro = dns::options_from(cfg->dns);
    if (!a.dns.empty()) ro.servers = a.dns;
    o.query_timeout = std::min(o.deadline, ro.timeout * ro.tries);
    ro.timeout = std::min(ro.timeout, std::max(o.query_timeout / ro.tries, milliseconds(1)));

    dns::Resolver resolver(ro);
    boost::asio::io_context io;
    dnsbl::Report report;
    boost::asio::co_spawn(io, dnsbl::lookup(resolver, *target, zones, o),
                          [&](std::exception_ptr e, dnsbl::Report r) {
                              if (e) std::rethrow_exception(e);
                              report = std::move(r);
                          });
    io.run();
    if (a.json) {
        std::cout << dnsbl::to_json(report).dump(2) << "\n";
    } else {
        std::cout << dnsbl::format_text(report);
    }
    return dnsbl::exit_status(report);
}

}  // namespace

void add_rbl(CLI::App& app, Command& cmd) {
    auto args = std::make_shared<RblArgs>();
    CLI::App* sub = app.add_subcommand("rbl", "Look an IP address or domain up in DNS block lists");
    sub->add_option("target", args->target, "IPv4/IPv6 address or domain")->required();
    CLI::Option* config = sub->add_option("-c,--config", cmd.config_path, "Configuration file")
                              ->capture_default_str();
    sub->add_flag("--json", args->json, "JSON output");
    sub->add_option("--zone", args->zones,
                    "Zone to query (repeatable; default: [dnsbl] zones, else the catalogue)");
    sub->add_option("--dns", args->dns,
                    "DNS server IP[:PORT] (repeatable; default: [dns] servers)");
    sub->add_flag("--health", args->health,
                  "Also check each zone's test entries; failing zones are 'broken'");
    sub->add_option("--timeout", args->timeout, "Overall deadline in seconds")
        ->capture_default_str();
    sub->footer(
        "Exit status: 0 not listed, 1 listed, 2 could not complete (a zone timed out or failed).");
    sub->callback([&cmd, args, config] {
        bool explicit_config = config->count() > 0;
        cmd.action = [&cmd, args, explicit_config] {
            return run_rbl(*args, cmd.config_path, explicit_config);
        };
    });
}

}  // namespace holdfast::cli
