#include "store/records_json.hpp"

#include "util/time_text.hpp"

namespace holdfast::store {

nlohmann::json customer_json(const Customer& c) {
    return {{"name", c.name},         {"status", status_name(c.status)},
            {"emails", c.emails},     {"domains", c.domains},
            {"networks", c.networks}, {"notes", c.notes},
            {"scan", c.scan},         {"created", util::rfc3339(c.created)}};
}

nlohmann::json violation_json(const Violation& v) {
    using nlohmann::json;
    return {{"id", std::to_string(v.id)},
            {"customer", v.customer},
            {"found", util::rfc3339(v.found)},
            {"target", v.target},
            {"charge", v.charge},
            {"status", v.open ? "open" : "resolved"},
            {"resolved", v.resolved ? json(util::rfc3339(*v.resolved)) : json()},
            {"resolved_by", v.resolved_by ? json(std::to_string(v.resolved_by)) : json()},
            {"paid", v.paid},
            {"notices", v.notices},
            {"test", std::to_string(v.test)}};
}

}  // namespace holdfast::store
