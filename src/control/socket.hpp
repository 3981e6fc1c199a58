#pragma once
// Unix-socket plumbing shared by the control server and client (private to control/).
#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

namespace holdfast::control::detail {

// Fills a sockaddr_un for path; ENAMETOOLONG if it does not fit.
std::error_code unix_address(const std::filesystem::path& path, void* sockaddr_un_out);

// Reads up to and excluding the first '\n' (or EOF), at most max_bytes,
// waiting at most `timeout` in all.
std::error_code read_line(int fd, std::string& line, std::size_t max_bytes,
                          std::chrono::milliseconds timeout);
std::error_code write_all(int fd, std::string_view data, std::chrono::milliseconds timeout);

}  // namespace holdfast::control::detail
