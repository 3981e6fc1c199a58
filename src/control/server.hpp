#pragma once
// The daemon's side of the control socket: <spool>/control.sock (mode 0600),
// one thread, one request per connection (see protocol.hpp). Admin traffic
// is rare and small, so connections are served one after another, each with
// a short deadline so a stuck client cannot block the next.
#include <filesystem>
#include <system_error>

#include "control/admin.hpp"
#include "control/socket_listener.hpp"

namespace holdfast::control {

class ControlServer {
  public:
    // socket_path defaults to <spool dir>/control.sock.
    explicit ControlServer(Admin admin, std::filesystem::path socket_path = {});
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Binds and starts serving. EADDRINUSE when another process answers on
    // the socket already; a stale socket file left by a crash is replaced.
    std::error_code start();
    void stop();  // idempotent; removes the socket file
    const std::filesystem::path& path() const { return listener_.path(); }

  private:
    void serve_one(int fd);

    Admin admin_;
    detail::SocketListener listener_;
};

// <spool dir>/control.sock
std::filesystem::path control_socket_path(const std::filesystem::path& spool_dir);

}  // namespace holdfast::control
