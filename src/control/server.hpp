#pragma once
// The daemon's side of the control socket: <spool>/control.sock (mode 0600),
// one thread, one request per connection (see protocol.hpp). Admin traffic
// is rare and small, so connections are served one after another, each with
// a short deadline so a stuck client cannot block the next.
#include <filesystem>
#include <system_error>
#include <thread>

#include "control/admin.hpp"

namespace holdfast::control {

class ControlServer {
  public:
    // socket_path defaults to <spool dir>/control.sock.
    explicit ControlServer(Admin admin, std::filesystem::path socket_path = {});
    ~ControlServer();  // stop()
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Binds and starts serving. EADDRINUSE when another process answers on
    // the socket already; a stale socket file left by a crash is replaced.
    std::error_code start();
    void stop();  // idempotent; removes the socket file
    const std::filesystem::path& path() const { return path_; }

  private:
    void run();
    void serve_one(int fd);

    Admin admin_;
    const std::filesystem::path path_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};  // stop() writes to wake_[1] to end run()
    std::thread thread_;
};

// <spool dir>/control.sock
std::filesystem::path control_socket_path(const std::filesystem::path& spool_dir);

}  // namespace holdfast::control
