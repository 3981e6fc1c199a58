// `holdfast sendmail`: reads the message from stdin and hands it to the
// running daemon's submit socket (<spool>/submit.sock, see
// control/submit.hpp), which stores it in the queue and answers once it is
// on disk. The daemon does the header work (sendmail/message.hpp) and
// records who we are from the socket, not from anything we say.
#include "cli/sendmail_command.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "cli/command.hpp"
#include "cli/sendmail_smtp.hpp"
#include "sendmail/options.hpp"

namespace holdfast::cli {

using json = nlohmann::json;

namespace {

constexpr const char* kSystemConfig = "/etc/holdfast/holdfast.toml";
constexpr const char* kUsage =
    "usage: sendmail [-t] [-i] [-f ADDR] [-F NAME] [-bs | -bp] [-c FILE] [--] [RCPT...]";

// -c FILE; else ./config/holdfast.toml when it exists (a source tree),
// else the package's /etc/holdfast/holdfast.toml.
std::string config_path(const std::string& given) {
    if (!given.empty()) return given;
    if (std::filesystem::exists(kDefaultConfig)) return kDefaultConfig;
    return kSystemConfig;
}

// Only server.spool, without validating the rest: a local user may not be
// able to read the TLS key or users file the full check wants.
std::optional<std::string> spool_dir(const std::string& config, std::string& error) {
    try {
        toml::table t = toml::parse_file(config);
        return t["server"]["spool"].value_or(std::string("var/spool"));
    } catch (const toml::parse_error& e) {
        error = config + ": " + std::string(e.description());
        return std::nullopt;
    }
}

// The message from stdin; with dot_ends, a line holding only "." ends it
// (sendmail's default; -i / -oi turn it off).
std::string read_stdin(bool dot_ends) {
    std::string message, line;
    int c;
    while ((c = std::getchar()) != EOF) {
        line += static_cast<char>(c);
        if (c != '\n') continue;
        if (dot_ends && (line == ".\n" || line == ".\r\n")) return message;
        message += line;
        line.clear();
    }
    if (!(dot_ends && line == ".")) message += line;
    return message;
}

}  // namespace

SubmitOutcome submit_message(const std::string& socket, const json& request,
                             const std::string& message) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd < 0 || socket.size() >= sizeof addr.sun_path) {
        if (fd >= 0) ::close(fd);
        return {EX_TEMPFAIL, "", "cannot reach the daemon at " + socket};
    }
    std::copy(socket.begin(), socket.end(), addr.sun_path);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::string why = std::strerror(errno);
        ::close(fd);
        return {EX_TEMPFAIL, "",
                "mail not queued: the holdfast daemon does not answer at " + socket + " (" + why +
                    "); try again later"};
    }
    std::string out = request.dump() + "\n" + message;
    for (std::string_view rest = out; !rest.empty();) {
        ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            return {EX_TEMPFAIL, "", "mail not queued: the daemon closed the connection"};
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::shutdown(fd, SHUT_WR);
    std::string in;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    json response = json::parse(in, nullptr, false);
    if (response.is_discarded() || !response.is_object()) {
        return {EX_TEMPFAIL, "", "mail not queued: no answer from the daemon"};
    }
    if (response.value("ok", false)) return {EX_OK, response.value("id", ""), ""};
    std::string error = "mail not queued: " + response.value("error", std::string("refused"));
    return {response.value("temporary", false) ? EX_TEMPFAIL : EX_DATAERR, "", error};
}

int run_sendmail(const std::vector<std::string>& args) {
    auto parsed = sendmail::parse_options(args);
    if (!parsed.error.empty()) {
        print_error(parsed.error);
        std::cerr << kUsage << "\n";
        return EX_USAGE;
    }
    const sendmail::Options& o = parsed.options;
    std::string config = config_path(o.config);
    if (o.mode == sendmail::Mode::print_queue) {
        // mailq: the queue listing, through the daemon like `queue list`.
        std::vector<std::string> argv_s{"holdfast", "queue", "list", "-c", config};
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        return run(static_cast<int>(argv.size()), argv.data());
    }
    std::string error;
    auto spool = spool_dir(config, error);
    if (!spool) {
        print_error(error);
        return EX_TEMPFAIL;  // a broken config is the admin's to fix; the caller may retry
    }
    std::string socket = (std::filesystem::path(*spool) / "submit.sock").string();
    if (o.mode == sendmail::Mode::smtp) return run_smtp_session(socket);

    json request = {{"cmd", "submit"},
                    {"full_name", o.full_name},
                    {"extract", o.extract},
                    {"recipients", o.recipients}};
    if (o.sender_set) request["sender"] = o.sender;
    std::string message = read_stdin(o.dot_ends);
    request["size"] = message.size();
    SubmitOutcome r = submit_message(socket, request, message);
    if (r.status != EX_OK) print_error(r.error);
    return r.status;
}

}  // namespace holdfast::cli
