// The store's operations, written once over database.hpp's Connection, so
// the SQLite and PostgreSQL back ends share every line of logic.
#include "store/store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "store/database.hpp"

namespace holdfast::store {
namespace {

using json = nlohmann::json;

std::int64_t secs(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_secs(std::int64_t s) {
    return TimePoint(std::chrono::seconds(s));
}

std::string text(const std::optional<std::string>& v) {
    return v.value_or("");
}

std::int64_t num(const std::optional<std::string>& v) {
    return v && !v->empty() ? std::stoll(*v) : 0;
}

std::string hosts_json(const std::vector<MxHost>& set) {
    json a = json::array();
    for (const auto& h : set) {
        a.push_back({{"preference", h.preference}, {"host", h.host}, {"addresses", h.addresses}});
    }
    return a.dump();
}

std::vector<MxHost> hosts_from(const std::optional<std::string>& text) {
    std::vector<MxHost> out;
    if (!text || text->empty()) return out;
    for (const auto& h : json::parse(*text)) {
        out.push_back({h.value("preference", std::uint16_t{0}), h.value("host", std::string()),
                       h.value("addresses", std::vector<std::string>{})});
    }
    return out;
}

// A write transaction that rolls back unless committed.
class Transaction {
  public:
    explicit Transaction(Connection& c) : c_(c) { c_.begin(); }
    ~Transaction() {
        if (!done_) {
            try {
                c_.rollback();
            } catch (...) {
            }
        }
    }
    void commit() {
        c_.commit();
        done_ = true;
    }

  private:
    Connection& c_;
    bool done_ = false;
};

std::int64_t insert(Connection& c, const std::string& sql, const std::vector<Value>& params) {
    auto rows = c.query(sql + " RETURNING id", params);
    if (rows.empty()) throw Error("insert returned no id");
    return num(rows[0][0]);
}

const char* kViolationColumns =
    "id, customer, found, target, test, charge, resolved, resolved_by, paid, notices";

Violation violation_from(const Row& r) {
    Violation v;
    v.id = num(r[0]);
    v.customer = text(r[1]);
    v.found = from_secs(num(r[2]));
    v.target = text(r[3]);
    v.test = num(r[4]);
    v.charge = static_cast<long>(num(r[5]));
    if (r[6]) v.resolved = from_secs(num(r[6]));
    v.open = !r[6];
    v.resolved_by = num(r[7]);
    v.paid = num(r[8]) != 0;
    v.notices = static_cast<int>(num(r[9]));
    return v;
}

const char* kTestColumns =
    "id, customer, target, trigger_kind, at, verdict, reason, vectors, transcript, token";

RelayTest test_from(const Row& r) {
    return RelayTest{num(r[0]),  text(r[1]), text(r[2]), text(r[3]), from_secs(num(r[4])),
                     text(r[5]), text(r[6]), text(r[7]), text(r[8]), text(r[9])};
}

// The customer's e-mail addresses, domains and networks, in their order
// (add_customer, update_customer).
void write_lists(Connection& db, std::int64_t id, const Customer& c) {
    std::int64_t pos = 0;
    for (const auto& e : c.emails) {
        db.query("INSERT INTO customer_emails (customer_id, position, email) VALUES (?, ?, ?)",
                 {id, pos++, e});
    }
    pos = 0;
    for (const auto& d : c.domains) {
        db.query("INSERT INTO customer_domains (domain, customer_id, position) VALUES (?, ?, ?)",
                 {d, id, pos++});
    }
    pos = 0;
    for (const auto& n : c.networks) {
        db.query("INSERT INTO customer_networks (customer_id, position, network) VALUES (?, ?, ?)",
                 {id, pos++, n});
    }
}

// False (and *why) when one of c's domains belongs to another customer.
bool domains_free(Connection& db, const Customer& c, std::string* why) {
    for (const auto& d : c.domains) {
        auto rows = db.query(
            "SELECT c.name FROM customer_domains d JOIN customers c ON c.id = d.customer_id "
            "WHERE d.domain = ? AND c.name <> ?",
            {d, c.name});
        if (!rows.empty()) {
            if (why) *why = "domain " + d + " belongs to customer " + text(rows[0][0]);
            return false;
        }
    }
    return true;
}

}  // namespace

const char* status_name(Status s) {
    return s == Status::active ? "active" : "suspended";
}

std::string Store::sqlite_file(const std::string& url) {
    if (!url.starts_with("sqlite:")) return "";
    std::string path = url.substr(7);
    if (path.starts_with("//")) path = path.substr(2);  // sqlite:///abs or sqlite://rel
    return path;
}

std::unique_ptr<Store> Store::open(const std::string& url) {
    std::unique_ptr<Connection> c;
    if (url.starts_with("sqlite:")) {
        std::string path = sqlite_file(url);
        if (path.empty()) throw Error("store url \"" + url + "\" names no file");
        c = open_sqlite(path);
    } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        c = open_postgresql(url);
    } else {
        throw Error("store url \"" + url + "\": expected sqlite:PATH or postgresql://...");
    }
    migrate(*c);
    return std::make_unique<Store>(std::move(c));
}

Store::Store(std::unique_ptr<Connection> c) : db_(std::move(c)) {}
Store::~Store() = default;

int Store::schema_version() {
    std::lock_guard lock(mu_);
    return current_version(*db_);
}

// --- customers -------------------------------------------------------------

bool Store::add_customer(const Customer& c, TimePoint now, std::string* why) {
    std::lock_guard lock(mu_);
    Transaction t(*db_);
    if (!db_->query("SELECT 1 FROM customers WHERE name = ?", {c.name}).empty()) {
        if (why) *why = "customer " + c.name + " exists already";
        return false;
    }
    if (!domains_free(*db_, c, why)) return false;
    std::int64_t id = insert(
        *db_, "INSERT INTO customers (name, notes, status, created, scan) VALUES (?, ?, ?, ?, ?)",
        {c.name, c.notes, std::string(status_name(c.status)), secs(now),
         std::int64_t{c.scan ? 1 : 0}});
    write_lists(*db_, id, c);
    t.commit();
    return true;
}

std::vector<Customer> Store::customers() {
    std::lock_guard lock(mu_);
    std::vector<Customer> out;
    std::vector<std::int64_t> ids;
    for (const auto& r :
         db_->query("SELECT id, name, notes, status, created, scan FROM customers ORDER BY name")) {
        Customer c;
        c.name = text(r[1]);
        c.notes = text(r[2]);
        c.status = text(r[3]) == "suspended" ? Status::suspended : Status::active;
        c.created = from_secs(num(r[4]));
        c.scan = num(r[5]) != 0;
        ids.push_back(num(r[0]));
        out.push_back(std::move(c));
    }
    auto fill = [&](const std::string& sql, auto member) {
        for (const auto& r : db_->query(sql)) {
            auto it = std::find(ids.begin(), ids.end(), num(r[0]));
            if (it != ids.end()) (out[it - ids.begin()].*member).push_back(text(r[1]));
        }
    };
    fill("SELECT customer_id, email FROM customer_emails ORDER BY customer_id, position",
         &Customer::emails);
    fill("SELECT customer_id, domain FROM customer_domains ORDER BY customer_id, position",
         &Customer::domains);
    fill("SELECT customer_id, network FROM customer_networks ORDER BY customer_id, position",
         &Customer::networks);
    return out;
}

std::optional<Customer> Store::customer(const std::string& name) {
    for (auto& c : customers()) {
        if (c.name == name) return std::move(c);
    }
    return std::nullopt;
}

bool Store::set_status(const std::string& name, Status s) {
    std::lock_guard lock(mu_);
    Transaction t(*db_);
    bool found = !db_->query("SELECT 1 FROM customers WHERE name = ?", {name}).empty();
    if (found) {
        db_->query("UPDATE customers SET status = ? WHERE name = ?",
                   {std::string(status_name(s)), name});
    }
    t.commit();
    return found;
}

bool Store::set_scan(const std::string& name, bool scan) {
    std::lock_guard lock(mu_);
    Transaction t(*db_);
    bool found = !db_->query("SELECT 1 FROM customers WHERE name = ?", {name}).empty();
    if (found) {
        db_->query("UPDATE customers SET scan = ? WHERE name = ?",
                   {std::int64_t{scan ? 1 : 0}, name});
    }
    t.commit();
    return found;
}

bool Store::update_customer(const Customer& c, std::string* why) {
    std::lock_guard lock(mu_);
    Transaction t(*db_);
    auto rows = db_->query("SELECT id FROM customers WHERE name = ?", {c.name});
    if (rows.empty()) {
        if (why) *why = "no customer " + c.name;
        return false;
    }
    if (!domains_free(*db_, c, why)) return false;
    std::int64_t id = num(rows[0][0]);
    db_->query("UPDATE customers SET notes = ?, scan = ? WHERE id = ?",
               {c.notes, std::int64_t{c.scan ? 1 : 0}, id});
    for (const char* table : {"customer_emails", "customer_domains", "customer_networks"}) {
        db_->query(std::string("DELETE FROM ") + table + " WHERE customer_id = ?", {id});
    }
    write_lists(*db_, id, c);
    t.commit();
    return true;
}

bool Store::remove_customer(const std::string& name) {
    std::lock_guard lock(mu_);
    Transaction t(*db_);
    auto rows = db_->query("SELECT id FROM customers WHERE name = ?", {name});
    if (rows.empty()) return false;
    std::int64_t id = num(rows[0][0]);
    // Explicit, not only ON DELETE CASCADE: PRAGMA foreign_keys may be off
    // in a file some other tool touched.
    for (const char* table : {"customer_emails", "customer_domains", "customer_networks"}) {
        db_->query(std::string("DELETE FROM ") + table + " WHERE customer_id = ?", {id});
    }
    db_->query("DELETE FROM watch_targets WHERE customer = ?", {name});
    db_->query("DELETE FROM customers WHERE id = ?", {id});
    t.commit();
    return true;
}

std::vector<ServedDomain> Store::served_domains() {
    std::lock_guard lock(mu_);
    std::vector<ServedDomain> out;
    for (const auto& r :
         db_->query("SELECT d.domain, c.name, c.status, c.scan FROM customer_domains d JOIN "
                    "customers c ON c.id = d.customer_id ORDER BY d.domain")) {
        out.push_back({text(r[0]), text(r[1]),
                       text(r[2]) == "suspended" ? Status::suspended : Status::active,
                       num(r[3]) != 0});
    }
    return out;
}

// --- MX sets ---------------------------------------------------------------

std::optional<std::vector<MxHost>> Store::mx_set(const std::string& domain) {
    std::lock_guard lock(mu_);
    auto rows = db_->query("SELECT hosts FROM mx_current WHERE domain = ?", {domain});
    if (rows.empty()) return std::nullopt;
    return hosts_from(rows[0][0]);
}

bool Store::record_mx(const std::string& domain, const std::vector<MxHost>& set, TimePoint now) {
    std::lock_guard lock(mu_);
    // The common case, nothing changed, writes nothing (1,000 domains a
    // cycle); `seen` is when the current set was first seen.
    auto same = [&](const std::vector<Row>& rows) {
        return !rows.empty() && hosts_from(rows[0][0]) == set;
    };
    if (same(db_->query("SELECT hosts FROM mx_current WHERE domain = ?", {domain}))) return false;
    Transaction t(*db_);
    auto rows = db_->query("SELECT hosts FROM mx_current WHERE domain = ?", {domain});
    std::string now_json = hosts_json(set);
    bool changed = !same(rows);
    if (rows.empty()) {
        db_->query("INSERT INTO mx_current (domain, hosts, seen) VALUES (?, ?, ?)",
                   {domain, now_json, secs(now)});
    } else if (changed) {
        db_->query("UPDATE mx_current SET hosts = ?, seen = ? WHERE domain = ?",
                   {now_json, secs(now), domain});
    }
    if (changed) {
        Value before = rows.empty() ? Value{} : Value{text(rows[0][0])};
        insert(*db_, "INSERT INTO mx_changes (domain, at, mx_before, mx_after) VALUES (?, ?, ?, ?)",
               {domain, secs(now), before, now_json});
    }
    t.commit();
    return changed;
}

std::vector<MxChange> Store::mx_history(const std::string& domain) {
    std::lock_guard lock(mu_);
    std::vector<MxChange> out;
    for (const auto& r :
         db_->query("SELECT at, mx_before, mx_after FROM mx_changes WHERE domain = ? ORDER BY id",
                    {domain})) {
        out.push_back({domain, from_secs(num(r[0])), hosts_from(r[1]), hosts_from(r[2])});
    }
    return out;
}

// --- tests and checks ------------------------------------------------------

std::int64_t Store::add_relay_test(const RelayTest& t) {
    std::lock_guard lock(mu_);
    return insert(*db_,
                  "INSERT INTO relay_tests (customer, target, trigger_kind, at, verdict, reason, "
                  "vectors, transcript, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {t.customer, t.target, t.trigger, secs(t.at), t.verdict, t.reason, t.vectors_json,
                   t.transcript, t.token});
}

bool Store::update_relay_test(const RelayTest& t) {
    std::lock_guard lock(mu_);
    if (db_->query("SELECT id FROM relay_tests WHERE id = ?", {t.id}).empty()) return false;
    db_->query(
        "UPDATE relay_tests SET customer = ?, target = ?, trigger_kind = ?, at = ?, verdict = ?, "
        "reason = ?, vectors = ?, transcript = ? WHERE id = ?",
        {t.customer, t.target, t.trigger, secs(t.at), t.verdict, t.reason, t.vectors_json,
         t.transcript, t.id});
    return true;
}

std::optional<RelayTest> Store::relay_test(std::int64_t id) {
    std::lock_guard lock(mu_);
    auto rows =
        db_->query(std::string("SELECT ") + kTestColumns + " FROM relay_tests WHERE id = ?", {id});
    if (rows.empty()) return std::nullopt;
    return test_from(rows[0]);
}

std::optional<RelayTest> Store::relay_test_by_token(const std::string& token) {
    if (token.empty()) return std::nullopt;
    std::lock_guard lock(mu_);
    auto rows = db_->query(
        std::string("SELECT ") + kTestColumns + " FROM relay_tests WHERE token = ?", {token});
    if (rows.empty()) return std::nullopt;
    return test_from(rows[0]);
}

std::vector<RelayTest> Store::relay_tests(const std::string& target) {
    std::lock_guard lock(mu_);
    std::vector<RelayTest> out;
    for (const auto& r : db_->query(std::string("SELECT ") + kTestColumns +
                                        " FROM relay_tests WHERE target = ? ORDER BY id",
                                    {target})) {
        out.push_back(test_from(r));
    }
    return out;
}

std::vector<RelayTest> Store::customer_relay_tests(const std::string& customer, std::size_t limit) {
    std::lock_guard lock(mu_);
    std::vector<RelayTest> out;
    for (const auto& r : db_->query(std::string("SELECT ") + kTestColumns +
                                        " FROM relay_tests WHERE customer = ? ORDER BY id DESC "
                                        "LIMIT ?",
                                    {customer, static_cast<std::int64_t>(limit)})) {
        out.push_back(test_from(r));
    }
    return out;
}

std::int64_t Store::add_blacklist_check(const BlacklistCheck& c) {
    std::lock_guard lock(mu_);
    return insert(
        *db_,
        "INSERT INTO blacklist_checks (customer, target, at, listed, zones) VALUES (?, ?, ?, ?, ?)",
        {c.customer, c.target, secs(c.at), std::int64_t{c.listed ? 1 : 0}, c.zones_json});
}

std::vector<BlacklistCheck> Store::blacklist_checks(const std::string& target) {
    std::lock_guard lock(mu_);
    std::vector<BlacklistCheck> out;
    for (const auto& r : db_->query("SELECT id, customer, target, at, listed, zones FROM "
                                    "blacklist_checks WHERE target = ? ORDER BY id",
                                    {target})) {
        out.push_back(
            {num(r[0]), text(r[1]), text(r[2]), from_secs(num(r[3])), num(r[4]) != 0, text(r[5])});
    }
    return out;
}

std::vector<BlacklistCheck> Store::customer_blacklist_checks(const std::string& customer,
                                                             std::size_t limit) {
    std::lock_guard lock(mu_);
    std::vector<BlacklistCheck> out;
    for (const auto& r : db_->query("SELECT id, customer, target, at, listed, zones FROM "
                                    "blacklist_checks WHERE customer = ? ORDER BY id DESC LIMIT ?",
                                    {customer, static_cast<std::int64_t>(limit)})) {
        out.push_back(
            {num(r[0]), text(r[1]), text(r[2]), from_secs(num(r[3])), num(r[4]) != 0, text(r[5])});
    }
    return out;
}

// --- violations ------------------------------------------------------------

std::optional<Violation> Store::open_violation(const std::string& customer,
                                               const std::string& target) {
    std::lock_guard lock(mu_);
    auto rows = db_->query(std::string("SELECT ") + kViolationColumns +
                               " FROM violations WHERE customer = ? AND target = ? AND resolved "
                               "IS NULL ORDER BY id LIMIT 1",
                           {customer, target});
    if (rows.empty()) return std::nullopt;
    return violation_from(rows[0]);
}

std::size_t Store::violation_count(const std::string& customer) {
    std::lock_guard lock(mu_);
    auto rows = db_->query("SELECT COUNT(*) FROM violations WHERE customer = ?", {customer});
    return static_cast<std::size_t>(num(rows[0][0]));
}

std::int64_t Store::add_violation(const Violation& v) {
    std::lock_guard lock(mu_);
    return insert(*db_,
                  "INSERT INTO violations (customer, found, target, test, charge) VALUES (?, ?, "
                  "?, ?, ?)",
                  {v.customer, secs(v.found), v.target, v.test, std::int64_t{v.charge}});
}

std::optional<Violation> Store::violation(std::int64_t id) {
    std::lock_guard lock(mu_);
    auto rows = db_->query(
        std::string("SELECT ") + kViolationColumns + " FROM violations WHERE id = ?", {id});
    if (rows.empty()) return std::nullopt;
    return violation_from(rows[0]);
}

std::vector<Violation> Store::violations(const std::string& customer) {
    std::lock_guard lock(mu_);
    std::vector<Violation> out;
    std::string sql = std::string("SELECT ") + kViolationColumns + " FROM violations";
    std::vector<Value> params;
    if (!customer.empty()) {
        sql += " WHERE customer = ?";
        params.emplace_back(customer);
    }
    for (const auto& r : db_->query(sql + " ORDER BY id", params)) out.push_back(violation_from(r));
    return out;
}

bool Store::resolve_violation(std::int64_t id, std::int64_t by_test, TimePoint now) {
    std::lock_guard lock(mu_);
    auto rows = db_->query(
        "UPDATE violations SET resolved = ?, resolved_by = ? WHERE id = ? AND "
        "resolved IS NULL RETURNING id",
        {secs(now), by_test, id});
    return !rows.empty();
}

bool Store::mark_paid(std::int64_t id) {
    std::lock_guard lock(mu_);
    return !db_->query("UPDATE violations SET paid = 1 WHERE id = ? RETURNING id", {id}).empty();
}

void Store::count_notice(std::int64_t violation_id) {
    std::lock_guard lock(mu_);
    db_->query("UPDATE violations SET notices = notices + 1 WHERE id = ?", {violation_id});
}

// --- watch state -----------------------------------------------------------

std::vector<TargetState> Store::targets() {
    std::lock_guard lock(mu_);
    std::vector<TargetState> out;
    for (const auto& r :
         db_->query("SELECT target, customer, domain, last_test, last_verdict, last_rbl, listed "
                    "FROM watch_targets ORDER BY target")) {
        TargetState t;
        t.target = text(r[0]);
        t.customer = text(r[1]);
        t.domain = text(r[2]);
        t.last_test = from_secs(num(r[3]));
        t.last_verdict = text(r[4]);
        t.last_rbl = from_secs(num(r[5]));
        t.listed_zones = json::parse(r[6].value_or("[]")).get<std::vector<std::string>>();
        out.push_back(std::move(t));
    }
    return out;
}

void Store::save_target(const TargetState& t) {
    std::lock_guard lock(mu_);
    Transaction tx(*db_);
    std::vector<Value> values = {t.customer,     t.domain,         secs(t.last_test),
                                 t.last_verdict, secs(t.last_rbl), json(t.listed_zones).dump(),
                                 t.target};
    auto rows = db_->query(
        "UPDATE watch_targets SET customer = ?, domain = ?, last_test = ?, last_verdict = ?, "
        "last_rbl = ?, listed = ? WHERE target = ? RETURNING target",
        values);
    if (rows.empty()) {
        db_->query(
            "INSERT INTO watch_targets (customer, domain, last_test, last_verdict, last_rbl, "
            "listed, target) VALUES (?, ?, ?, ?, ?, ?, ?)",
            values);
    }
    tx.commit();
}

void Store::remove_target(const std::string& target) {
    std::lock_guard lock(mu_);
    db_->query("DELETE FROM watch_targets WHERE target = ?", {target});
}

void Store::add_notice(const Notice& n) {
    std::lock_guard lock(mu_);
    insert(*db_,
           "INSERT INTO notices (at, kind, customer, about, recipients, queue_id) VALUES (?, ?, "
           "?, ?, ?, ?)",
           {secs(n.at), n.kind, n.customer, n.about, n.recipients, n.queue_id});
}

std::vector<Notice> Store::notices(const std::string& customer) {
    std::lock_guard lock(mu_);
    std::vector<Notice> out;
    std::string sql = "SELECT at, kind, customer, about, recipients, queue_id FROM notices";
    std::vector<Value> params;
    if (!customer.empty()) {
        sql += " WHERE customer = ?";
        params.emplace_back(customer);
    }
    for (const auto& r : db_->query(sql + " ORDER BY id", params)) {
        out.push_back(
            {from_secs(num(r[0])), text(r[1]), text(r[2]), text(r[3]), text(r[4]), text(r[5])});
    }
    return out;
}

}  // namespace holdfast::store
