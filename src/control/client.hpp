#pragma once
// The CLI's side of the control socket, and the rule "through the daemon if
// one runs, else on the spool directly" (STYLE.md: the spool is never edited
// under a running daemon; the spool's lock enforces it).
#include <chrono>
#include <filesystem>
#include <system_error>
#include <vector>

#include "control/protocol.hpp"

namespace holdfast::control {

// One request to the daemon at socket. Nothing listening (no socket file,
// or a stale one: connection refused) gives an error for which
// no_daemon(ec) is true.
std::error_code call_daemon(const std::filesystem::path& socket, const json& request,
                            json& response,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));
bool no_daemon(std::error_code ec);

// Answers each request, in order: through the daemon when it answers on
// <spool_dir>/control.sock, else by opening the spool itself (which fails
// with queue::Errc::spool_locked when a daemon holds it but does not answer).
// A spool directory that does not exist is an empty queue, not created.
// `notices` serves bounce / expire / delete --bounce in the latter case.
std::error_code run_requests(const std::filesystem::path& spool_dir,
                             const std::vector<json>& requests, std::vector<json>& responses,
                             const delivery::NoticeSettings& notices = {});

}  // namespace holdfast::control
