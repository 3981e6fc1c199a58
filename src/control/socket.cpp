#include "control/socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace holdfast::control::detail {

namespace {
using Clock = std::chrono::steady_clock;

// Waits for events on fd until deadline; ETIMEDOUT when it passes.
std::error_code wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::make_error_code(std::errc::timed_out);
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return {errno, std::generic_category()};
        if (n > 0) return {};
    }
}
}  // namespace

std::error_code unix_address(const std::filesystem::path& path, void* out) {
    auto* addr = static_cast<sockaddr_un*>(out);
    std::memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    const std::string& s = path.native();
    if (s.size() >= sizeof addr->sun_path)
        return std::make_error_code(std::errc::filename_too_long);
    std::memcpy(addr->sun_path, s.c_str(), s.size() + 1);
    return {};
}

std::error_code read_line(int fd, std::string& line, std::size_t max_bytes,
                          std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    line.clear();
    char buf[65536];
    for (;;) {
        if (auto ec = wait_for(fd, POLLIN, deadline)) return ec;
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) return {errno, std::generic_category()};
        if (n == 0) return {};  // EOF ends the line too
        std::string_view chunk(buf, static_cast<std::size_t>(n));
        auto nl = chunk.find('\n');
        line.append(chunk.substr(0, nl));
        if (line.size() > max_bytes) return std::make_error_code(std::errc::message_size);
        if (nl != std::string_view::npos) return {};
    }
}

std::error_code write_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!data.empty()) {
        if (auto ec = wait_for(fd, POLLOUT, deadline)) return ec;
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) return {errno, std::generic_category()};
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace holdfast::control::detail
