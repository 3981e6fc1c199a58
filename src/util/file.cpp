#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

namespace holdfast::util {
namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

// Closes the descriptor on every path out of a function.
struct Fd {
    int fd;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::error_code write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

std::error_code fsync_directory(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.fd < 0) return last_error();
    if (::fsync(fd.fd) != 0) return last_error();
    return {};
}

std::error_code write_file_durably(const std::filesystem::path& path, std::string_view data) {
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::filesystem::path tmp = path;
    tmp += ".tmp." + std::to_string(rng());
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (fd.fd < 0) return last_error();
        if (auto ec = write_all(fd.fd, data)) {
            ::unlink(tmp.c_str());
            return ec;
        }
        if (::fsync(fd.fd) != 0) {
            auto ec = last_error();
            ::unlink(tmp.c_str());
            return ec;
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto ec = last_error();
        ::unlink(tmp.c_str());
        return ec;
    }
    return fsync_directory(dir);
}

std::error_code read_file(const std::filesystem::path& path, std::string& out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) return last_error();
    out.clear();
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        if (n == 0) return {};
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::error_code ensure_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    // Component by component with mkdir(2), so that every new directory is
    // 0700 whatever the umask (create_directories would make them 0777 &
    // ~umask, usually 0755). Existing ones are left as they are.
    std::filesystem::path partial;
    for (const auto& part : dir) {
        partial /= part;
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
            return std::error_code(errno, std::generic_category());
        }
    }
    if (!std::filesystem::is_directory(dir, ec)) {
        return ec ? ec : std::make_error_code(std::errc::not_a_directory);
    }
    return {};
}

std::optional<std::uint64_t> available_bytes(const std::filesystem::path& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

std::optional<std::uint64_t> recent_available_bytes(const std::filesystem::path& path,
                                                    std::chrono::milliseconds max_age) {
    struct Answer {
        std::chrono::steady_clock::time_point at;
        std::optional<std::uint64_t> bytes;
    };
    static std::mutex mu;
    static std::map<std::filesystem::path, Answer> answers;  // one per spool: a few at most
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    auto [it, fresh] = answers.try_emplace(path);
    if (fresh || now - it->second.at > max_age) it->second = {now, available_bytes(path)};
    return it->second.bytes;
}

}  // namespace holdfast::util
