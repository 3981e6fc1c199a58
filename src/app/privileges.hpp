#pragma once
// Least privilege for `holdfast serve`: started as root, it binds its
// listeners and opens the spool, keys and users file, then becomes
// server.user / server.group for good (setgroups, setgid, setuid, checked by
// reading the ids back). Root without a server.user is refused unless the
// operator says --allow-root.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "config/config.hpp"

namespace holdfast::app {

struct RunAs {
    std::string user, group;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Whom serve should become. nullopt: stay as we are (not root, or root
// with --allow-root and no server.user). Throws std::runtime_error with
// the reason when started as root without a user, or the user or group
// does not exist.
std::optional<RunAs> run_as_from(const config::Config& c, bool allow_root);

// Gives every file and directory under `dir` (itself included, symbolic
// links not followed) to the user, so that what root created before
// (an older spool, the control socket) stays usable after the switch.
std::error_code give_tree(const std::filesystem::path& dir, const RunAs& who);

// Gives one file to the user; a file that does not exist is no error.
std::error_code give_file(const std::filesystem::path& file, const RunAs& who);

// Becomes `who` for good. An error if any step fails or root can be regained.
std::error_code become(const RunAs& who);

}  // namespace holdfast::app
