#include "cli/sendmail_smtp.hpp"

#include <sysexits.h>

#include <cctype>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace holdfast::cli {

namespace {

bool istarts(const std::string& s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    }
    return true;
}

// "<addr> PARAMS" after "MAIL FROM:" / "RCPT TO:": the address, without
// brackets; nullopt when there are no brackets.
std::optional<std::string> path_of(std::string rest) {
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
    if (rest.empty() || rest.front() != '<') return std::nullopt;
    auto close = rest.find('>');
    if (close == std::string::npos) return std::nullopt;
    return rest.substr(1, close - 1);
}

void reply(const std::string& line) {
    std::cout << line << "\r\n" << std::flush;
}

bool read_line(std::string& line) {
    if (!std::getline(std::cin, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

}  // namespace

int run_smtp_session(const std::string& socket) {
    reply("220 localhost ESMTP Holdfast (sendmail -bs)");
    std::optional<std::string> sender;
    std::vector<std::string> rcpts;
    std::string line;
    while (read_line(line)) {
        if (istarts(line, "EHLO")) {
            reply("250-localhost");
            reply("250-PIPELINING");
            reply("250-8BITMIME");
            reply("250 ENHANCEDSTATUSCODES");
        } else if (istarts(line, "HELO")) {
            reply("250 localhost");
        } else if (istarts(line, "MAIL FROM:")) {
            auto p = path_of(line.substr(10));
            if (!p) {
                reply("501 5.5.4 Syntax: MAIL FROM:<address>");
            } else if (sender) {
                reply("503 5.5.1 Nested MAIL command");
            } else {
                sender = *p;
                reply("250 2.1.0 Ok");
            }
        } else if (istarts(line, "RCPT TO:")) {
            auto p = path_of(line.substr(8));
            if (!sender) {
                reply("503 5.5.1 Need MAIL command");
            } else if (!p || p->empty()) {
                reply("501 5.5.4 Syntax: RCPT TO:<address>");
            } else {
                rcpts.push_back(*p);
                reply("250 2.1.5 Ok");
            }
        } else if (istarts(line, "DATA")) {
            if (!sender || rcpts.empty()) {
                reply("503 5.5.1 Need RCPT command");
                continue;
            }
            reply("354 End data with <CR><LF>.<CR><LF>");
            std::string message;
            bool ended = false;
            while (read_line(line)) {
                if (line == ".") {
                    ended = true;
                    break;
                }
                if (!line.empty() && line[0] == '.') line.erase(0, 1);  // RFC 5321 4.5.2
                message += line + "\r\n";
            }
            if (!ended) return EX_OK;  // end of input inside DATA: nothing queued
            nlohmann::json request = {{"cmd", "submit"},
                                      {"sender", *sender},
                                      {"recipients", rcpts},
                                      {"size", message.size()}};
            SubmitOutcome r = submit_message(socket, request, message);
            if (r.status == EX_OK) {
                reply("250 2.0.0 Ok: queued as " + r.id);
            } else if (r.status == EX_TEMPFAIL) {
                reply("451 4.3.0 " + r.error);
            } else {
                reply("554 5.6.0 " + r.error);
            }
            sender.reset();
            rcpts.clear();
        } else if (istarts(line, "RSET")) {
            sender.reset();
            rcpts.clear();
            reply("250 2.0.0 Ok");
        } else if (istarts(line, "NOOP")) {
            reply("250 2.0.0 Ok");
        } else if (istarts(line, "QUIT")) {
            reply("221 2.0.0 Bye");
            return EX_OK;
        } else {
            reply("502 5.5.2 Command not recognized");
        }
    }
    return EX_OK;
}

}  // namespace holdfast::cli
