#include "queue/posix.hpp"

#include <sys/uio.h>

namespace holdfast::queue::posix {

std::error_code write_all(int fd, std::string_view a, std::string_view b) {
    while (!a.empty() || !b.empty()) {
        iovec iov[2] = {{const_cast<char*>(a.data()), a.size()},
                        {const_cast<char*>(b.data()), b.size()}};
        ssize_t n = ::writev(fd, iov, 2);
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        auto done = static_cast<std::size_t>(n);
        std::size_t from_a = std::min(done, a.size());
        a.remove_prefix(from_a);
        b.remove_prefix(done - from_a);
    }
    return {};
}

std::error_code write_synced(const char* path, std::string_view a, std::string_view b) {
    UniqueFd fd(::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return last_error();
    std::error_code ec = write_all(fd.get(), a, b);
    if (!ec && ::fsync(fd.get()) != 0) ec = last_error();
    // close() can report a deferred write error (NFS); treat it as one.
    if (!ec && ::close(fd.release()) != 0) ec = last_error();
    if (ec) ::unlink(path);
    return ec;
}

}  // namespace holdfast::queue::posix
