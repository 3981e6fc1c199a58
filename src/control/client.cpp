#include "control/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "control/server.hpp"
#include "control/socket.hpp"
#include "control/summary.hpp"

namespace holdfast::control {

std::error_code call_daemon(const std::filesystem::path& socket, const json& request,
                            json& response, std::chrono::milliseconds timeout) {
    sockaddr_un addr{};
    if (auto ec = detail::unix_address(socket, &addr)) return ec;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {errno, std::generic_category()};
    std::error_code ec;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ec = {errno, std::generic_category()};
    }
    std::string line;
    if (!ec) {
        ec = detail::write_all(
            fd, request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", timeout);
    }
    if (!ec) ec = detail::read_line(fd, line, std::numeric_limits<std::size_t>::max(), timeout);
    ::close(fd);
    if (ec) return ec;
    response = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!response.is_object()) return std::make_error_code(std::errc::bad_message);
    return {};
}

bool no_daemon(std::error_code ec) {
    return ec == std::errc::no_such_file_or_directory || ec == std::errc::connection_refused;
}

std::error_code run_requests(const std::filesystem::path& spool_dir,
                             const std::vector<json>& requests, std::vector<json>& responses,
                             const delivery::NoticeSettings& notices) {
    responses.clear();
    std::filesystem::path socket = control_socket_path(spool_dir);
    for (const auto& req : requests) {
        json resp;
        std::error_code ec = call_daemon(socket, req, resp);
        if (no_daemon(ec) && responses.empty()) break;  // go to the spool directly
        if (ec) return ec;
        responses.push_back(std::move(resp));
    }
    if (responses.size() == requests.size()) return {};

    std::error_code ec;
    if (!std::filesystem::is_directory(spool_dir, ec)) {
        // Nothing was ever queued here: answer without creating the spool.
        for (const auto& req : requests) {
            std::string cmd = req.value("cmd", "");
            if (cmd == "list") {
                responses.push_back({{"ok", true}, {"messages", json::array()}});
            } else if (cmd == "summary") {
                responses.push_back(
                    {{"ok", true},
                     {"summary", queue_summary({}, std::chrono::system_clock::now())}});
            } else if (cmd == "flush") {
                responses.push_back({{"ok", true}, {"messages", 0}});
            } else {
                responses.push_back(
                    error_response("no such message: " + req.value("id", std::string()), true));
            }
        }
        return {};
    }
    auto spool = queue::Spool::open(spool_dir, ec);
    if (!spool) return ec;
    Admin admin{*spool, notices, {}, {}, {}, {}};
    for (const auto& req : requests) responses.push_back(handle_request(admin, req));
    return {};
}

}  // namespace holdfast::control
