#pragma once
// What the admin pages and the admin API show and do: one layer for both.
// admin.cpp is the gate in front of it (logins, sessions, CSRF, HTTP Basic
// for scripts); the router shows an Outcome as a page or as JSON.
//
// Paths are the part after /admin/ (pages) or /api/v1/admin/ (API), split
// at '/':
//   GET  ""                      customers, the backup queue per domain, violations
//                                (?q=: the customers a search finds, and theirs)
//   GET  customers/NAME          a customer: edit form, MX history, relay tests
//                                (with transcripts), blacklist checks, violations,
//                                the notices sent
//   GET  customers/new           the form for a new customer
//   GET  queue/DOMAIN            the messages waiting for DOMAIN
//   POST customers               add;  POST customers/NAME  edit
//   POST customers/NAME/suspend | unsuspend
//   POST violations/ID/paid | resolve
//   POST queue/DOMAIN/flush
//   POST messages/ID/hold | release | delete | bounce
// An action's Outcome names the page to go back to (location); its data
// says what happened, for the API.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/admin.hpp"
#include "store/store.hpp"
#include "web/handlers.hpp"

namespace holdfast::web {

struct AdminServices {
    store::Store& store;
    // The daemon's queue admin (the control socket's requests); nullopt: the
    // queue pages say there is no queue to show.
    std::optional<control::Admin> queue;
    // The backup domains now ([[backup]] and the customers' domains).
    std::function<std::vector<std::string>()> backup_domains;
    std::function<void()> customers_changed;  // after an add, edit or (un)suspend
};

class AdminViews {
  public:
    explicit AdminViews(AdminServices services);

    // `search` (the overview's ?q=): only the customers it finds, and their
    // violations; "" for all.
    Outcome get(const std::vector<std::string>& path, const std::string& search);
    // `fields`: a JSON object (the API's body, or the form's fields as
    // strings); `user` is logged with every change. `partial` (the API): an
    // edit keeps what `fields` does not name; a form names every field (an
    // unticked checkbox is absent: off).
    Outcome post(const std::vector<std::string>& path, const nlohmann::json& fields,
                 const std::string& user, bool partial);

  private:
    Outcome overview(const std::string& search);
    Outcome customer(const std::string& name);
    Outcome customer_form();
    Outcome save_customer(const std::string& name, const nlohmann::json& fields,
                          const std::string& user, bool partial);
    Outcome set_status(const std::string& name, bool suspend, const std::string& user);
    Outcome violation_action(const std::string& id, const std::string& action,
                             const nlohmann::json& fields, const std::string& user);
    nlohmann::json violations_json(const std::string& customer);

    // The backup queue (admin_queue.cpp).
    nlohmann::json queue_overview(std::string* chart);
    Outcome queue_domain(const std::string& domain);
    Outcome flush(const std::string& domain, const std::string& user);
    Outcome message_action(const std::string& id, const std::string& action,
                           const nlohmann::json& fields, const std::string& user);

    AdminServices s_;
};

// "3 h 20 min", "2 d 4 h", "45 s": how long ago `t` was, or how far ahead.
std::string admin_age_text(std::chrono::seconds age);
// 1536 -> "1.5 KiB"
std::string admin_bytes_text(std::uint64_t bytes);
// The form's "back" field when it names an admin page, else `fallback`:
// an action returns the browser where it came from, never elsewhere.
std::string admin_back_to(const nlohmann::json& fields, const std::string& fallback);

}  // namespace holdfast::web
