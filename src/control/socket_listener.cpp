#include "control/socket_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "control/socket.hpp"
#include "util/thread_name.hpp"

namespace holdfast::control::detail {
namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

}  // namespace

bool someone_listens(const std::filesystem::path& path) {
    sockaddr_un addr{};
    if (unix_address(path, &addr)) return false;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return live;
}

std::error_code SocketListener::start(std::function<void(int fd)> serve) {
    if (thread_.joinable()) return {};
    sockaddr_un addr{};
    if (auto ec = unix_address(path_, &addr)) return ec;
    ::unlink(path_.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) return last_error();
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::chmod(path_.c_str(), mode_) != 0 || ::listen(listen_fd_, 16) != 0 ||
        ::pipe2(wake_, O_CLOEXEC) != 0) {
        std::error_code ec = last_error();
        stop();
        return ec;
    }
    serve_ = std::move(serve);
    thread_ = std::thread([this] {
        util::name_this_thread("hf-control");
        run();
    });
    spdlog::info("{}: listening on {}", name_, path_.string());
    return {};
}

void SocketListener::stop() {
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

void SocketListener::run() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            spdlog::error("{}: poll: {}", name_, last_error().message());
            return;
        }
        if (fds[1].revents) return;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: try again on the next event
        serve_(fd);
        ::close(fd);
    }
}

}  // namespace holdfast::control::detail
