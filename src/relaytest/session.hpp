#pragma once
// The SMTP steps of a probe session, over a Connection: greeting (EHLO with
// HELO fallback, STARTTLS), one vector (MAIL, RCPT, optional DATA, RSET),
// and the control probes that expose false alarms.
#include <optional>
#include <string>

#include "relaytest/connection.hpp"
#include "relaytest/report.hpp"
#include "relaytest/vector.hpp"

namespace holdfast::relaytest {

struct Greeting {
    enum class Status { ok, refused, deferred, tls_failed, lost };
    Status status = Status::lost;
    std::optional<smtp::Reply> banner;
    std::optional<smtp::Reply> reply;  // the deciding reply when refused / deferred
    std::string error;                 // when lost / tls_failed
    bool starttls_offered = false;     // in the EHLO reply before TLS
};

// Reads the banner, greets with `helo` (EHLO, then HELO if EHLO is refused),
// and with want_tls does STARTTLS and greets again.
asio::awaitable<Greeting> greet(Connection& c, const std::string& helo, bool want_tls,
                                const std::string& sni);

struct DeliverSpec {
    std::string token;
    std::string header_from;  // our sender, for the From: header
    std::string helo;
};

struct VectorRun {
    VectorResult result;
    bool lost = false;            // the connection is gone (result.result is error if unanswered)
    bool demands_tls = false;     // the deciding reply asked for STARTTLS first
    bool unknown_domain = false;  // the deciding reply said the domain does not exist
};

// MAIL, RCPT, (DATA when `deliver` and RCPT was accepted), RSET. When the
// vector's sender is refused with a 5xx, its recipient is tried after
// MAIL FROM:plain_from instead (result.substitute_from says so).
asio::awaitable<VectorRun> run_vector(Connection& c, const Vector& v, bool tls,
                                      const std::string& plain_from, const DeliverSpec* deliver);

// MAIL from, RCPT rcpt, RSET: true when the RCPT got 2xx; nullopt if the
// connection was lost.
asio::awaitable<std::optional<bool>> rcpt_accepted(Connection& c, const std::string& from,
                                                   const std::string& rcpt);

// Says QUIT (short wait) and closes.
asio::awaitable<void> quit(Connection& c);

}  // namespace holdfast::relaytest
