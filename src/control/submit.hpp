#pragma once
// Local submission (`holdfast sendmail`) into the queue: the daemon's side.
// One request per connection to <spool>/submit.sock (mode 0666; the only
// request that socket takes, so a local user can submit mail but not run
// queue admin commands on control.sock):
//   {"cmd":"submit","sender":ADDR|null,"full_name":"...","extract":bool,
//    "recipients":[...],"size":N}\n  followed by N octets of message
//   -> {"ok":true,"id":ID,"recipients":[...]}  once the message is in the
//      spool and fsync'd (the 250 of SMTP)
//   -> {"ok":false,"error":"...","temporary":bool}
// Who submits comes from the socket (SO_PEERCRED), never from the request:
// the user's name is the envelope's auth_user, and is in the Received: line.
// A local submission may go anywhere, like Postfix's sendmail: recipients
// are classified as for an authenticated client (local, backup or relay);
// a local recipient that does not exist refuses the submission (a cron job
// sees the error at once instead of a bounce later).
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "queue/spool.hpp"

namespace holdfast::control {

struct Submitter {
    uid_t uid = 0;
    pid_t pid = 0;
    std::string user;  // from the password database, else the uid as text
};

struct SubmitRequest {
    bool sender_set = false;
    std::string sender;
    std::string full_name;
    bool extract = false;
    std::vector<std::string> recipients;
};

// Stores the message (blocks until the spool acknowledges it). `config`:
// hostname, the domains (classification) and the message size limit.
nlohmann::json submit(queue::Spool& spool, const config::Config& config, const Submitter& who,
                      const SubmitRequest& request, std::string_view message);

}  // namespace holdfast::control
