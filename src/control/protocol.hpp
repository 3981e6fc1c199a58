#pragma once
// The control protocol: one JSON request line, one JSON response line, per
// connection to <spool>/control.sock. The same handler answers in the daemon
// and, when no daemon runs, in the CLI on the spool directly, so both paths
// give the same answers. Requests:
//   {"cmd":"list"}                -> {"ok":true,"messages":[MESSAGE...]}
//   {"cmd":"show","id":ID}        -> {"ok":true,"message":MESSAGE,"data_base64":"..."}
//   {"cmd":"delete","id":ID}      -> {"ok":true}
//   {"cmd":"delete","id":ID,"bounce":true} -> as bounce
//   {"cmd":"bounce","id":ID}      -> {"ok":true,"notice":NOTICE-ID or ""}: what is
//                                    pending fails now, the sender gets a report
//   {"cmd":"expire","id":ID}      -> the same, as if its lifetime were over (4.4.7)
//   {"cmd":"hold","id":ID}        -> {"ok":true}: no delivery attempts until released
//   {"cmd":"release","id":ID}     -> {"ok":true}: due at once again
//   {"cmd":"flush"[,"domain":D]}  -> {"ok":true,"messages":N}: try now
//   {"cmd":"summary"}             -> {"ok":true,"summary":SUMMARY} (summary.hpp)
//   {"cmd":"customers-changed"}   -> {"ok":true}: the store's customers changed
//   {"cmd":"watch-run-once"}      -> {"ok":true,"cycle":CYCLE}: one watch cycle now
//   {"cmd":"watch-status"}        -> {"ok":true,"status":STATUS} (watch/status.hpp)
//   {"cmd":"metrics"}             -> {"ok":true,"text":"# HELP ..."} (Prometheus text)
//   failures                      -> {"ok":false,"error":"...","not_found":bool}
// MESSAGE is the `queue list --json` object of CONTRACT.md (id, sender,
// recipients = the addresses still pending, size, arrival, next_attempt,
// last_error) plus client, auth_user, smtputf8, the DSN parameters ret
// ("", "full", "hdrs") and envid, the flags warned and held, and
// recipient_details (address, kind, state, last_error, notify, orcpt).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/admin.hpp"
#include "queue/spool.hpp"

namespace holdfast::control {

using json = nlohmann::json;

// "2024-05-01T12:34:56Z" (UTC, whole seconds).
std::string rfc3339(std::chrono::system_clock::time_point t);

// The MESSAGE object for one envelope.
json message_json(const queue::Envelope& env);

// Answers one request (requests.cpp). Never throws for bad requests.
json handle_request(Admin& admin, const json& request);
// MESSAGE as `list` gives it: message_json plus what the couriers know (a
// destination that is down: its next probe, its reason as last_error;
// in_flight).
json message_state_json(Admin& admin, const queue::Envelope& env);
// The same with no notice settings and no daemon hooks (tests, inspection).
json handle_request(queue::Spool& spool, const json& request);

// A failure response.
json error_response(const std::string& what, bool not_found = false);

}  // namespace holdfast::control
