#pragma once
// `sendmail -bs`: an SMTP session on stdin/stdout (as Postfix's), each
// message submitted like `holdfast sendmail -f SENDER RCPT...` once DATA
// ends. HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; nothing else.
#include <string>

#include <nlohmann/json.hpp>

namespace holdfast::cli {

struct SubmitOutcome {
    int status = 0;     // sysexits: 0, 65, 75
    std::string id;     // the queue id when queued
    std::string error;  // what went wrong otherwise
};

// One submission to the daemon's submit socket (sendmail_command.cpp).
SubmitOutcome submit_message(const std::string& socket, const nlohmann::json& request,
                             const std::string& message);

int run_smtp_session(const std::string& socket);

}  // namespace holdfast::cli
