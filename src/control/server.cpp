#include "control/server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "control/protocol.hpp"
#include "control/socket.hpp"

namespace holdfast::control {

namespace {
constexpr std::size_t kMaxRequest = 64 * 1024;
constexpr std::chrono::seconds kRequestTimeout{5};
constexpr std::chrono::seconds kResponseTimeout{30};  // `show` of a large message
}  // namespace

std::filesystem::path control_socket_path(const std::filesystem::path& spool_dir) {
    return spool_dir / "control.sock";
}

ControlServer::ControlServer(Admin admin, std::filesystem::path socket_path)
    : admin_(std::move(admin)),
      listener_(
          "control",
          socket_path.empty() ? control_socket_path(admin_.spool.dir()) : std::move(socket_path),
          0600) {}

std::error_code ControlServer::start() {
    if (listener_.running()) return {};
    // A stale socket file left by a crash is replaced; a live daemon's is not.
    if (detail::someone_listens(path())) return std::make_error_code(std::errc::address_in_use);
    return listener_.start([this](int fd) { serve_one(fd); });
}

void ControlServer::stop() {
    listener_.stop();
}

void ControlServer::serve_one(int fd) {
    std::string line;
    json response;
    if (auto ec = detail::read_line(fd, line, kMaxRequest, kRequestTimeout)) {
        response = error_response("reading request: " + ec.message());
    } else {
        json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
        // The spool logs what changes (id=... status=removed); nothing more here.
        response = request.is_discarded() ? error_response("request is not JSON")
                                          : handle_request(admin_, request);
    }
    std::string out = response.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (auto ec = detail::write_all(fd, out, kResponseTimeout)) {
        spdlog::warn("control: writing response: {}", ec.message());
    }
}

}  // namespace holdfast::control
