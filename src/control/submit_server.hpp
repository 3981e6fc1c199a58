#pragma once
// The daemon's submit socket, <spool>/submit.sock (mode 0666): local users'
// `holdfast sendmail` connects here (see submit.hpp for the request). One
// thread, one submission at a time, each with deadlines, so a stuck client
// cannot hold the next for long. The spool directory gets o+x (not o+r) so
// that users other than the daemon's can reach the socket inside it; the
// spool's own files stay 0600 in 0700 directories.
#include <filesystem>
#include <system_error>

#include "config/config.hpp"
#include "control/socket_listener.hpp"
#include "queue/spool.hpp"

namespace holdfast::control {

class SubmitServer {
  public:
    // A copy of the config: hostname, domains and limits at start.
    SubmitServer(queue::Spool& spool, config::Config config);
    SubmitServer(const SubmitServer&) = delete;
    SubmitServer& operator=(const SubmitServer&) = delete;

    std::error_code start();
    void stop();
    const std::filesystem::path& path() const { return listener_.path(); }

  private:
    void serve_one(int fd);

    queue::Spool& spool_;
    const config::Config config_;
    detail::SocketListener listener_;
};

// <spool dir>/submit.sock
std::filesystem::path submit_socket_path(const std::filesystem::path& spool_dir);

}  // namespace holdfast::control
