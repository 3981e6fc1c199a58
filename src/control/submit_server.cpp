#include "control/submit_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "control/socket.hpp"
#include "control/submit.hpp"

namespace holdfast::control {

using json = nlohmann::json;

namespace {

constexpr std::chrono::seconds kReadTimeout{60};  // a slow pipe into sendmail
constexpr std::chrono::seconds kWriteTimeout{5};
constexpr std::size_t kMaxRequestLine = 64 * 1024;

std::error_code last_error() {
    return {errno, std::generic_category()};
}

// Everything until the client shuts its side down, at most `max` octets.
std::error_code read_all(int fd, std::string& out, std::size_t max) {
    auto deadline = std::chrono::steady_clock::now() + kReadTimeout;
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::make_error_code(std::errc::timed_out);
        pollfd p{fd, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return last_error();
        if (n == 0) continue;
        ssize_t got = ::read(fd, buf, sizeof buf);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) return last_error();
        if (got == 0) return {};
        out.append(buf, static_cast<std::size_t>(got));
        if (out.size() > max) return std::make_error_code(std::errc::message_size);
    }
}

Submitter peer(int fd) {
    Submitter who;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        who.uid = cred.uid;
        who.pid = cred.pid;
    }
    passwd pw{}, *found = nullptr;
    char buf[4096];
    if (::getpwuid_r(who.uid, &pw, buf, sizeof buf, &found) == 0 && found) {
        who.user = found->pw_name;
    } else {
        who.user = std::to_string(who.uid);
    }
    return who;
}

json handle(queue::Spool& spool, const config::Config& config, const Submitter& who,
            const std::string& input) {
    auto nl = input.find('\n');
    if (nl == std::string::npos || nl > kMaxRequestLine) {
        return {{"ok", false}, {"error", "no request line"}, {"temporary", false}};
    }
    json req = json::parse(input.substr(0, nl), nullptr, false);
    if (req.is_discarded() || !req.is_object() || req.value("cmd", "") != "submit") {
        return {{"ok", false},
                {"error", "this socket takes only {\"cmd\":\"submit\"}"},
                {"temporary", false}};
    }
    try {
        SubmitRequest r;
        if (req.contains("sender") && req["sender"].is_string()) {
            r.sender_set = true;
            r.sender = req["sender"].get<std::string>();
        }
        r.full_name = req.value("full_name", "");
        r.extract = req.value("extract", false);
        r.recipients = req.value("recipients", std::vector<std::string>{});
        std::size_t size = req.value("size", std::size_t{0});
        std::string_view message(input);
        message.remove_prefix(nl + 1);
        if (message.size() != size) {
            return {{"ok", false},
                    {"error", "message shorter than announced (client interrupted?)"},
                    {"temporary", true}};
        }
        return submit(spool, config, who, r, message);
    } catch (const json::exception& e) {
        return {{"ok", false},
                {"error", std::string("bad request: ") + e.what()},
                {"temporary", false}};
    }
}

}  // namespace

std::filesystem::path submit_socket_path(const std::filesystem::path& spool_dir) {
    return spool_dir / "submit.sock";
}

SubmitServer::SubmitServer(queue::Spool& spool, config::Config config)
    : spool_(spool),
      config_(std::move(config)),
      listener_("submit", submit_socket_path(spool.dir()), 0666) {}

std::error_code SubmitServer::start() {
    // Any local user submits: they must reach the socket through the spool
    // directory (search only; its files stay 0600).
    struct stat st {};
    if (::stat(spool_.dir().c_str(), &st) != 0 ||
        ::chmod(spool_.dir().c_str(), (st.st_mode & 07777) | 0111) != 0) {
        return last_error();
    }
    return listener_.start([this](int fd) { serve_one(fd); });
}

void SubmitServer::stop() {
    listener_.stop();
}

void SubmitServer::serve_one(int fd) {
    Submitter who = peer(fd);
    std::string input;
    json response;
    if (auto ec = read_all(fd, input, config_.limits.message_size + kMaxRequestLine)) {
        response = {{"ok", false},
                    {"error", "reading the submission: " + ec.message()},
                    {"temporary", ec != std::errc::message_size}};
    } else {
        response = handle(spool_, config_, who, input);
    }
    if (!response.value("ok", false)) {
        spdlog::warn("status=submit-refused uid={} user={} error=\"{}\"", who.uid, who.user,
                     response.value("error", ""));
    }
    std::string out = response.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (auto ec = detail::write_all(fd, out, kWriteTimeout)) {
        spdlog::warn("submit: writing response: {}", ec.message());
    }
}

}  // namespace holdfast::control
