#pragma once
// The store's records as the JSON of CONTRACT.md ("customers list",
// "violations list"): one definition for the CLI's --json and the web's
// admin API, so a script reads the same fields from both.
#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace holdfast::store {

// name, status, emails, domains, networks, notes, scan, created (RFC 3339).
nlohmann::json customer_json(const Customer& c);
// id (text), customer, found, target, charge, status (open|resolved),
// resolved (time or null), resolved_by, paid, notices, test (text).
nlohmann::json violation_json(const Violation& v);

}  // namespace holdfast::store
