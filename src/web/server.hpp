#pragma once
// The web face inside `holdfast serve` (docs/web.md): an HTTP/1.1 server on
// its own I/O thread, so a flood of page views never slows SMTP. bind()
// runs before the daemon drops root (the port may be privileged, the TLS
// key readable only by root); start() after.
//
// Asio and Beast stay behind this header (pimpl): app.cpp includes it
// without paying for them.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "config/config.hpp"
#include "control/admin.hpp"

namespace holdfast::dns {
class Resolver;
}
namespace holdfast::store {
class Store;
}

namespace holdfast::web {

struct Services {
    store::Store& store;
    dns::Resolver* resolver = nullptr;          // blacklist lookups; null: none
    std::function<std::string()> metrics_text;  // the body of /metrics
    std::function<void()> customers_changed;    // after an admin adds, edits, (un)suspends one
    // The admin pages' backup queue: the control socket's requests and the
    // couriers' state (nullopt: no queue pages), and the backup domains now.
    std::optional<control::Admin> queue{};
    std::function<std::vector<std::string>()> backup_domains{};
};

class Server {
  public:
    Server(const config::Config& config, Services services);
    ~Server();  // stops: unfinished relay tests stay "interrupted" in the store
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Listens on [web] address (and loads the TLS certificate when
    // web.tls); nothing is served before start(). Throws std::runtime_error
    // with the reason when it cannot.
    void bind();
    void start();
    void stop();                        // idempotent
    std::string local_address() const;  // "127.0.0.1:8025", once bound

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::web
