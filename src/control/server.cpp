#include "control/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

std::error_code last_error() {
    return {errno, std::generic_category()};
}

// Is a live process answering on path? (A stale socket file refuses.)
bool someone_listens(const sockaddr_un& addr) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return live;
}
}  // namespace

std::filesystem::path control_socket_path(const std::filesystem::path& spool_dir) {
    return spool_dir / "control.sock";
}

ControlServer::ControlServer(Admin admin, std::filesystem::path socket_path)
    : admin_(std::move(admin)),
      path_(socket_path.empty() ? control_socket_path(admin_.spool.dir())
                                : std::move(socket_path)) {}

ControlServer::~ControlServer() {
    stop();
}

std::error_code ControlServer::start() {
    if (thread_.joinable()) return {};
    sockaddr_un addr{};
    if (auto ec = detail::unix_address(path_, &addr)) return ec;
    if (someone_listens(addr)) return std::make_error_code(std::errc::address_in_use);
    ::unlink(path_.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    std::error_code ec;
    if (listen_fd_ < 0) return last_error();
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::chmod(path_.c_str(), 0600) != 0 || ::listen(listen_fd_, 16) != 0 ||
        ::pipe2(wake_, O_CLOEXEC) != 0) {
        ec = last_error();
        stop();
        return ec;
    }
    thread_ = std::thread([this] { run(); });
    spdlog::info("control: listening on {}", path_.string());
    return {};
}

void ControlServer::stop() {
    if (thread_.joinable()) {
        char c = 0;
        while (::write(wake_[1], &c, 1) < 0 && errno == EINTR) {
        }
        thread_.join();
    }
    for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
    if (!path_.empty()) ::unlink(path_.c_str());
}

void ControlServer::run() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            spdlog::error("control: poll: {}", last_error().message());
            return;
        }
        if (fds[1].revents) return;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: try again on the next event
        serve_one(fd);
        ::close(fd);
    }
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
