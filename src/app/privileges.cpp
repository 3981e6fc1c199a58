#include "app/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <vector>

namespace holdfast::app {
namespace fs = std::filesystem;

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

std::optional<std::pair<uid_t, gid_t>> lookup_user(const std::string& name) {
    std::vector<char> buf(16384);
    passwd pw{}, *found = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
        return std::nullopt;
    }
    return std::pair{found->pw_uid, found->pw_gid};
}

std::optional<gid_t> lookup_group(const std::string& name) {
    std::vector<char> buf(16384);
    group gr{}, *found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
        return std::nullopt;
    }
    return found->gr_gid;
}

}  // namespace

std::optional<RunAs> run_as_from(const config::Config& c, bool allow_root) {
    const bool root = ::geteuid() == 0;
    if (c.server.user.empty()) {
        if (root && !allow_root) {
            throw std::runtime_error(
                "refusing to run as root: set server.user (the account to run as after binding "
                "the listeners), or start with --allow-root");
        }
        return std::nullopt;
    }
    auto user = lookup_user(c.server.user);
    if (!user) throw std::runtime_error("server.user " + c.server.user + ": no such user");
    RunAs who{c.server.user, c.server.group, user->first, user->second};
    if (!c.server.group.empty()) {
        auto gid = lookup_group(c.server.group);
        if (!gid) throw std::runtime_error("server.group " + c.server.group + ": no such group");
        who.gid = *gid;
    }
    if (!root) {
        // Not root: we cannot switch, and need not if we already are the user
        // (as under the shipped systemd unit, User=holdfast).
        if (::geteuid() != who.uid) {
            throw std::runtime_error("server.user is " + c.server.user +
                                     " but holdfast was started as another user who cannot "
                                     "switch to it");
        }
        return std::nullopt;
    }
    if (who.uid == 0) throw std::runtime_error("server.user " + c.server.user + " is root");
    return who;
}

std::error_code give_tree(const fs::path& dir, const RunAs& who) {
    if (::lchown(dir.c_str(), who.uid, who.gid) != 0) return last_error();
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (::lchown(it->path().c_str(), who.uid, who.gid) != 0 && errno != ENOENT) {
            return last_error();
        }
    }
    return ec;
}

std::error_code give_file(const fs::path& file, const RunAs& who) {
    if (::lchown(file.c_str(), who.uid, who.gid) != 0 && errno != ENOENT) return last_error();
    return {};
}

std::error_code become(const RunAs& who) {
    // Supplementary groups first (root's would stay otherwise), then the
    // group, then the user: after setuid we could not change the others.
    if (::setgroups(1, &who.gid) != 0) return last_error();
    if (::setgid(who.gid) != 0) return last_error();
    if (::setuid(who.uid) != 0) return last_error();
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0) {
        return last_error();
    }
    if (ruid != who.uid || euid != who.uid || suid != who.uid || rgid != who.gid ||
        egid != who.gid || sgid != who.gid) {
        return std::make_error_code(std::errc::operation_not_permitted);
    }
    if (::setuid(0) == 0) return std::make_error_code(std::errc::operation_not_permitted);
    return {};
}

}  // namespace holdfast::app
