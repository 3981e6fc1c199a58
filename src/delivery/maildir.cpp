#include "delivery/maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "util/file.hpp"
#include "util/strings.hpp"

namespace holdfast::delivery {

namespace fs = std::filesystem;

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

// Our host name as Maildir wants it in file names: '/' and ':' are not allowed.
std::string maildir_host() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    std::string h = buf;
    for (char& c : h) {
        if (c == '/') c = '_';
        if (c == ':') c = '_';
    }
    return h.empty() ? "localhost" : h;
}

// time.MusecPpidRrandom.host,S=size: unique without any shared counter,
// even for several deliveries in the same microsecond.
std::string unique_name(std::size_t size) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto sec = std::chrono::duration_cast<std::chrono::seconds>(now);
    auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now - sec);
    return fmt::format("{}.M{}P{}R{:016x}.{},S={}", sec.count(), usec.count(), ::getpid(), rng(),
                       maildir_host(), size);
}

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

// Creates the Maildir's three folders; fsyncs what it created so that the
// folders outlive a crash as surely as the message in them.
std::error_code ensure_maildir(const fs::path& path) {
    if (fs::is_directory(path / "new") && fs::is_directory(path / "tmp") &&
        fs::is_directory(path / "cur")) {
        return {};
    }
    for (const char* sub : {"tmp", "new", "cur"}) {
        if (auto ec = util::ensure_directory(path / sub)) return ec;
    }
    if (auto ec = util::fsync_directory(path)) return ec;
    fs::path parent = path.parent_path();
    return util::fsync_directory(parent.empty() ? fs::path(".") : parent);
}

}  // namespace

std::error_code deliver_to_maildir(const fs::path& path, std::string_view message,
                                   std::string_view return_path, std::string_view delivered_to,
                                   std::string_view delivery_key) {
    if (auto ec = ensure_maildir(path)) return ec;
    std::string head =
        fmt::format("Return-Path: <{}>\r\nDelivered-To: {}\r\n", return_path, delivered_to);
    std::string name = unique_name(head.size() + message.size());
    fs::path tmp = path / "tmp" / name;
    // With a key the final name is the same on every attempt, so a repeat
    // after a crash replaces the first copy instead of adding a second.
    std::string final_name =
        delivery_key.empty()
            ? name
            : fmt::format("{}.{},S={}", delivery_key, maildir_host(), head.size() + message.size());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return last_error();
    std::error_code ec = write_all(fd, head, message);
    if (!ec && ::fsync(fd) != 0) ec = last_error();
    if (::close(fd) != 0 && !ec) ec = last_error();
    if (!ec && ::rename(tmp.c_str(), (path / "new" / final_name).c_str()) != 0) ec = last_error();
    if (ec) {
        ::unlink(tmp.c_str());
        return ec;
    }
    return util::fsync_directory(path / "new");
}

fs::path expand_maildir(std::string_view tmpl, std::string_view local_part,
                        std::string_view domain) {
    std::string local = util::ascii_lower(local_part);
    std::string dom = util::ascii_lower(domain);
    auto unsafe = [](std::string_view s) {
        return s.empty() || s == "." || s == ".." || s.find('/') != std::string_view::npos ||
               s.find('\0') != std::string_view::npos;
    };
    if (unsafe(local) || unsafe(dom)) return {};
    std::string out;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%' || i + 1 == tmpl.size()) {
            out += tmpl[i];
            continue;
        }
        char c = tmpl[++i];
        if (c == 'u') {
            out += local;
        } else if (c == 'd') {
            out += dom;
        } else {
            if (c != '%') out += '%';
            out += c;
        }
    }
    return out;
}

}  // namespace holdfast::delivery
