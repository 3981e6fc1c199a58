#include "app/reload.hpp"

#include <spdlog/spdlog.h>

#include "app/service_manager.hpp"

namespace holdfast::app {
namespace {

using Changes = std::vector<std::string>;

template <typename T>
void note(Changes& out, const char* name, const T& a, const T& b) {
    if (!(a == b)) out.emplace_back(name);
}

bool same_queue(const config::QueuePolicy& a, const config::QueuePolicy& b) {
    return a.lifetime == b.lifetime && a.retry_min == b.retry_min && a.retry_max == b.retry_max &&
           a.delay_warning == b.delay_warning && a.probe_interval == b.probe_interval &&
           a.concurrency == b.concurrency;
}

bool same_delivery(const config::Delivery& a, const config::Delivery& b) {
    return a.connect_timeout == b.connect_timeout && a.greeting_timeout == b.greeting_timeout &&
           a.command_timeout == b.command_timeout && a.data_init_timeout == b.data_init_timeout &&
           a.data_block_timeout == b.data_block_timeout &&
           a.data_done_timeout == b.data_done_timeout && a.tls_timeout == b.tls_timeout;
}

bool same_watch(const config::Watch& a, const config::Watch& b) {
    return a.enabled == b.enabled && a.mx_interval == b.mx_interval &&
           a.retest_interval == b.retest_interval && a.rbl_interval == b.rbl_interval &&
           a.charges == b.charges && a.abuse == b.abuse && a.zones == b.zones &&
           a.concurrency == b.concurrency && a.test_timeout == b.test_timeout &&
           a.test_pause == b.test_pause && a.test_port == b.test_port &&
           a.retry_inconclusive == b.retry_inconclusive && a.mx_name == b.mx_name &&
           a.notice_from == b.notice_from && a.sample_interval == b.sample_interval;
}

// RCPT verification asks backup domains' primaries through the verifier,
// which is built once: its list of domains is what a reload leaves alone.
std::vector<std::string> verified_domains(const config::Config& c) {
    std::vector<std::string> out;
    for (const auto& b : c.backups) {
        if (b.verify) {
            out.push_back(b.domain + " " + b.primary + " " +
                          std::to_string(b.verify_good_for.count()) + " " +
                          std::to_string(b.verify_bad_for.count()));
        }
    }
    return out;
}

std::vector<std::string> networks(const std::vector<util::IpNetwork>& list) {
    std::vector<std::string> out;
    for (const auto& n : list) out.push_back(n.str());
    return out;
}

std::string first_diagnostics(const std::vector<config::Diagnostic>& diagnostics) {
    std::string out;
    for (std::size_t i = 0; i < diagnostics.size() && i < 3; ++i) {
        out += (i ? "; " : "") + diagnostics[i].str();
    }
    if (diagnostics.size() > 3) out += "; and " + std::to_string(diagnostics.size() - 3) + " more";
    return out;
}

}  // namespace

nlohmann::json ReloadResult::json() const {
    nlohmann::json j{{"ok", ok}, {"restart_needed", restart_needed}};
    if (!ok) j["error"] = error;
    return j;
}

std::vector<std::string> restart_needed(const config::Config& a, const config::Config& b) {
    Changes out;
    note(out, "server.hostname (outbound HELO, notices)", a.server.hostname, b.server.hostname);
    note(out, "server.spool", a.server.spool, b.server.spool);
    note(out, "server.addresses", a.server.addresses, b.server.addresses);
    note(out, "server.user", a.server.user, b.server.user);
    note(out, "server.group", a.server.group, b.server.group);
    if (!same_queue(a.queue, b.queue)) out.emplace_back("[queue]");
    if (!same_delivery(a.delivery, b.delivery)) out.emplace_back("[delivery]");
    note(out, "[dns]", std::tie(a.dns.servers, a.dns.timeout, a.dns.tries),
         std::tie(b.dns.servers, b.dns.timeout, b.dns.tries));
    // The web server is built once with its settings (docs/web.md).
    const auto a_networks = networks(a.web.test_networks),
               b_networks = networks(b.web.test_networks);
    note(out, "[web]",
         std::tie(a.web.address, a_networks, a.web.admins, a.web.tls, a.web.max_connections,
                  a.web.max_tests, a.web.tests_per_client, a.web.tests_per_target,
                  a.web.lookups_per_client, a.web.request_timeout),
         std::tie(b.web.address, b_networks, b.web.admins, b.web.tls, b.web.max_connections,
                  b.web.max_tests, b.web.tests_per_client, b.web.tests_per_target,
                  b.web.lookups_per_client, b.web.request_timeout));
    note(out, "[store]", a.store.url, b.store.url);
    if (!same_watch(a.watch, b.watch)) out.emplace_back("[watch]");
    note(out, "[[backup]] verify", verified_domains(a), verified_domains(b));
    note(out, "log_level", a.log_level, b.log_level);
    note(out, "[scan] connections", a.scan.connections, b.scan.connections);
    return out;
}

std::shared_ptr<const config::Config> Reloader::current() const {
    std::lock_guard lock(mu_);
    return current_;
}

ReloadResult Reloader::reload() {
    std::lock_guard lock(mu_);
    ReloadResult r;
    const std::string& path = current_->path;
    spdlog::info("status=reloading config={}", path);
    notify_reloading();
    // Serving goes on whatever the outcome: systemd hears "ready" again.
    struct Ready {
        ~Ready() { notify_ready(); }
    } ready;
    config::LoadResult loaded = config::load_file(path);
    for (const auto& d : loaded.diagnostics) spdlog::error("{}", d.str());
    if (!loaded.config) {
        r.error = path + ": invalid configuration: " + first_diagnostics(loaded.diagnostics);
    } else {
        auto next = std::make_shared<const config::Config>(std::move(*loaded.config));
        try {
            r.error = targets_.prepare(next);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        if (r.error.empty()) {
            targets_.commit();
            r.ok = true;
            r.restart_needed = restart_needed(*current_, *next);
            current_ = next;
        }
    }
    if (!r.ok) {
        spdlog::error("status=reload-refused config={} reason=\"{}\" action=kept-old-config", path,
                      r.error);
        return r;
    }
    std::string later;
    for (const auto& s : r.restart_needed) later += (later.empty() ? "" : ", ") + s;
    if (later.empty()) {
        spdlog::info("status=reloaded config={}", path);
    } else {
        spdlog::warn("status=reloaded config={} restart_needed=\"{}\"", path, later);
    }
    return r;
}

}  // namespace holdfast::app
