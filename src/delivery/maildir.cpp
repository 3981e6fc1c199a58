#include "delivery/maildir.hpp"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>
#include <utility>

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

class MaildirCategory : public std::error_category {
  public:
    const char* name() const noexcept override { return "maildir"; }
    std::string message(int e) const override {
        switch (static_cast<MaildirErrc>(e)) {
            case MaildirErrc::symlink:
                return "a path component is a symbolic link (not followed)";
            case MaildirErrc::not_owner:
                return "cannot act as the maildir owner (the daemon is not root)";
        }
        return "maildir error";
    }
};

// Owns a descriptor.
class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(o.fd_, -1);
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

  private:
    int fd_;
};

// The calling thread acts as the owner for file system access (Linux's
// fsuid/fsgid are per thread), and back on destruction.
class ActAs {
  public:
    explicit ActAs(const MaildirOwner& o) {
        if (o.gid != static_cast<gid_t>(-1) && o.gid != ::getegid()) {
            gid_ = o.gid;
            old_gid_ = static_cast<gid_t>(::setfsgid(o.gid));
            gid_set_ = true;
            if (static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != o.gid) ok_ = false;
        }
        if (o.uid != static_cast<uid_t>(-1) && o.uid != ::geteuid()) {
            uid_ = o.uid;
            old_uid_ = static_cast<uid_t>(::setfsuid(o.uid));
            uid_set_ = true;
            if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != o.uid) ok_ = false;
        }
    }
    ~ActAs() { pause(); }
    ActAs(const ActAs&) = delete;
    ActAs& operator=(const ActAs&) = delete;
    bool ok() const { return ok_; }
    // Back to the daemon's own identity (to read the spool), and again.
    void pause() {
        if (uid_set_) ::setfsuid(old_uid_);
        if (gid_set_) ::setfsgid(old_gid_);
    }
    void resume() {
        if (gid_set_) ::setfsgid(gid_);
        if (uid_set_) ::setfsuid(uid_);
    }

  private:
    uid_t uid_ = 0, old_uid_ = 0;
    gid_t gid_ = 0, old_gid_ = 0;
    bool uid_set_ = false, gid_set_ = false, ok_ = true;
};

// Opens directory `name` in dirfd without following a symbolic link,
// creating it (mode dmode, exactly) when create is set and it is missing.
std::error_code open_dir(int dirfd, const std::string& name, bool create, mode_t dmode, Fd& out,
                         bool& created) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        Fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd) {
            out = std::move(fd);
            return {};
        }
        if (errno == ELOOP || errno == ENOTDIR) {
            struct stat st {};
            if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode)) {
                return MaildirErrc::symlink;
            }
            return last_error();
        }
        if (errno != ENOENT || !create || attempt > 0) return last_error();
        if (::mkdirat(dirfd, name.c_str(), dmode) != 0 && errno != EEXIST) return last_error();
        created = true;
        Fd made(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (made) {
            // Exactly dmode, whatever the umask; then the entry made durable.
            if (::fchmod(made.get(), dmode) != 0 || ::fsync(dirfd) != 0) return last_error();
            out = std::move(made);
            return {};
        }
    }
    return last_error();
}

// Opens the directory at path component by component, never following a
// symbolic link, creating what is missing.
std::error_code open_path(const fs::path& path, mode_t dmode, Fd& out) {
    Fd dir(::open(path.is_absolute() ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return last_error();
    for (const auto& part : path.relative_path()) {
        std::string name = part.string();
        if (name.empty() || name == ".") continue;
        if (name == "..") return std::make_error_code(std::errc::permission_denied);
        Fd next;
        bool created = false;
        if (auto ec = open_dir(dir.get(), name, true, dmode, next, created)) return ec;
        dir = std::move(next);
    }
    out = std::move(dir);
    return {};
}

// Writes text with every CRLF turned into LF, in bounded chunks; a CR at the
// end of one piece and an LF at the start of the next are one line end.
class LfWriter {
  public:
    explicit LfWriter(int fd) : fd_(fd) { buf_.reserve(kChunk + 2); }
    std::error_code put(std::string_view text) {
        for (char c : text) {
            if (pending_cr_) {
                pending_cr_ = false;
                if (c != '\n') buf_ += '\r';
            }
            if (c == '\r') {
                pending_cr_ = true;
                continue;
            }
            buf_ += c;
            if (buf_.size() >= kChunk) {
                if (auto ec = drain()) return ec;
            }
        }
        return {};
    }
    std::error_code finish() {
        if (pending_cr_) buf_ += '\r';
        pending_cr_ = false;
        return drain();
    }
    std::size_t written() const { return written_; }

  private:
    static constexpr std::size_t kChunk = 64 * 1024;
    std::error_code drain() {
        if (auto ec = write_all(fd_, buf_)) return ec;
        written_ += buf_.size();
        buf_.clear();
        return {};
    }
    int fd_;
    std::string buf_;
    bool pending_cr_ = false;
    std::size_t written_ = 0;
};

}  // namespace

std::error_code make_error_code(MaildirErrc e) {
    static const MaildirCategory category;
    return {static_cast<int>(e), category};
}

std::error_code deliver_to_maildir(const fs::path& path, std::string_view message,
                                   std::string_view return_path, std::string_view delivered_to,
                                   std::string_view delivery_key, const MaildirOwner& owner) {
    bool given = false;
    return deliver_to_maildir(
        path,
        [&](std::string& chunk) -> std::error_code {
            chunk.assign(given ? std::string_view() : message);
            given = true;
            return {};
        },
        return_path, delivered_to, delivery_key, owner);
}

std::error_code deliver_to_maildir(const fs::path& path, const MessageSource& next,
                                   std::string_view return_path, std::string_view delivered_to,
                                   std::string_view delivery_key, const MaildirOwner& owner) {
    ActAs as(owner);
    if (!as.ok()) return MaildirErrc::not_owner;
    const mode_t fmode = owner.mode & 0666;
    const mode_t dmode = fmode | ((fmode & 0444) >> 2);  // x wherever r: 0600 -> 0700
    Fd md;
    if (auto ec = open_path(path, dmode, md)) return ec;
    Fd sub[3];
    const char* names[3] = {"tmp", "new", "cur"};
    bool created = false;
    for (int i = 0; i < 3; ++i) {
        if (auto ec = open_dir(md.get(), names[i], true, dmode, sub[i], created)) return ec;
    }
    const Fd& tmpdir = sub[0];
    const Fd& newdir = sub[1];

    std::string head =
        fmt::format("Return-Path: <{}>\nDelivered-To: {}\n", return_path, delivered_to);
    // The size in the final name is known once the file is written.
    std::string name = unique_name(0);
    Fd fd(::openat(tmpdir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   fmode));
    if (!fd) return last_error();
    std::error_code ec;
    if (::fchmod(fd.get(), fmode) != 0) ec = last_error();  // exactly, whatever the umask
    LfWriter out(fd.get());
    if (!ec) ec = out.put(head);
    std::string chunk;
    while (!ec) {
        as.pause();  // the source reads the spool, which only the daemon may
        ec = next(chunk);
        as.resume();
        if (ec || chunk.empty()) break;
        ec = out.put(chunk);
    }
    if (!ec) ec = out.finish();
    if (!ec && ::fsync(fd.get()) != 0) ec = last_error();
    // With a key the final name is the same on every attempt, so a repeat
    // after a crash replaces the first copy instead of adding a second.
    const std::size_t size = out.written();
    std::string final_name = delivery_key.empty()
                                 ? unique_name(size)
                                 : fmt::format("{}.{},S={}", delivery_key, maildir_host(), size);
    if (!ec && ::renameat(tmpdir.get(), name.c_str(), newdir.get(), final_name.c_str()) != 0) {
        ec = last_error();
    }
    if (ec) {
        ::unlinkat(tmpdir.get(), name.c_str(), 0);
        return ec;
    }
    if (::fsync(newdir.get()) != 0) return last_error();
    return {};
}

fs::path expand_maildir(std::string_view tmpl, std::string_view local_part,
                        std::string_view domain) {
    std::string local = util::fold_local_part(local_part);
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
