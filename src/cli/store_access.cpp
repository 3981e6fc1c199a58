#include "cli/store_access.hpp"

#include "control/client.hpp"
#include "control/protocol.hpp"
#include "control/server.hpp"

namespace holdfast::cli {

int with_store(const Command& cmd,
               const std::function<int(store::Store&, const config::Config&)>& fn) {
    config::LoadResult r = config::load_file(cmd.config_path);
    if (!r.config) {
        print_error(r.diagnostics.empty() ? cmd.config_path + ": invalid configuration"
                                          : r.diagnostics.front().str());
        return 2;
    }
    try {
        auto s = store::Store::open(r.config->store.url);
        return fn(*s, *r.config);
    } catch (const store::Error& e) {
        print_error(std::string("store: ") + e.what());
        return 2;
    }
}

void tell_daemon(const config::Config& config) {
    control::json response;
    auto ec =
        control::call_daemon(control::control_socket_path(config.server.spool),
                             {{"cmd", "customers-changed"}}, response, std::chrono::seconds(10));
    if (ec && !control::no_daemon(ec)) {
        print_error("the daemon did not answer (" + ec.message() +
                    "); it sees the change at its next watch cycle or restart");
    }
}

std::string rfc3339(store::TimePoint t) {
    return control::rfc3339(t);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

}  // namespace holdfast::cli
