#pragma once
// Durable file operations. "Durable" means: after the call returns, a crash
// (kill -9, power loss) cannot lose or tear what was written.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace holdfast::util {

// fsync(2) on a directory, so that a rename or unlink inside it is durable.
std::error_code fsync_directory(const std::filesystem::path& dir);

// Writes data to path via a temporary file in the same directory:
// write, fsync, rename over path, fsync the directory.
std::error_code write_file_durably(const std::filesystem::path& path, std::string_view data);

// Reads a whole file. Returns an error code instead of throwing.
std::error_code read_file(const std::filesystem::path& path, std::string& out);

// Creates dir and its parents (mode 0700 for new ones) if missing.
std::error_code ensure_directory(const std::filesystem::path& dir);

// Bytes an unprivileged process may still write on the file system holding
// `path` (statvfs f_bavail); nullopt if it cannot be asked.
std::optional<std::uint64_t> available_bytes(const std::filesystem::path& path);
// The same, asked again only when the last answer for `path` is older than
// `max_age`: for a check made on every MAIL command, where a figure a
// moment old is as good (the spool's own write still reports a full disk).
std::optional<std::uint64_t> recent_available_bytes(const std::filesystem::path& path,
                                                    std::chrono::milliseconds max_age);

}  // namespace holdfast::util
