#pragma once
// Small POSIX helpers for the spool's own files (private to queue/).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

namespace holdfast::queue::posix {

inline std::error_code last_error() {
    return {errno, std::generic_category()};
}

// Owns a descriptor; closes it on every way out of a scope.
class UniqueFd {
  public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        reset(std::exchange(o.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    explicit operator bool() const { return fd_ >= 0; }

  private:
    int fd_;
};

// Writes a then b (one writev when possible), retrying short writes and EINTR.
std::error_code write_all(int fd, std::string_view a, std::string_view b = {});

// Creates path exclusively (0600), writes a + b, fsyncs. Unlinks it on failure.
std::error_code write_synced(const char* path, std::string_view a, std::string_view b = {});

}  // namespace holdfast::queue::posix
