// The schema, versioned: each migration runs once, in order, in one
// transaction, and leaves its number in schema_version. Never edit a
// migration that has shipped; add the next one. {ID} is the dialect's
// auto-numbered key, {BOOL}-like flags are integers 0/1 in both.
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/store.hpp"

namespace holdfast::store {
namespace {

const std::vector<std::string>& migrations() {
    static const std::vector<std::string> all = {
        // 1: customers, MX history, tests, checks, violations, watch state, notices.
        R"sql(
CREATE TABLE customers (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    created BIGINT NOT NULL
);
CREATE TABLE customer_emails (
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    email TEXT NOT NULL
);
CREATE TABLE customer_domains (
    domain TEXT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL
);
CREATE TABLE customer_networks (
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    network TEXT NOT NULL
);
CREATE TABLE mx_current (
    domain TEXT PRIMARY KEY,
    hosts TEXT NOT NULL,
    seen BIGINT NOT NULL
);
CREATE TABLE mx_changes (
    id {ID},
    domain TEXT NOT NULL,
    at BIGINT NOT NULL,
    mx_before TEXT,
    mx_after TEXT NOT NULL
);
CREATE INDEX mx_changes_domain ON mx_changes(domain, at);
CREATE TABLE relay_tests (
    id {ID},
    customer TEXT NOT NULL,
    target TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    vectors TEXT NOT NULL,
    transcript TEXT NOT NULL
);
CREATE INDEX relay_tests_target ON relay_tests(target, at);
CREATE TABLE blacklist_checks (
    id {ID},
    customer TEXT NOT NULL,
    target TEXT NOT NULL,
    at BIGINT NOT NULL,
    listed INTEGER NOT NULL,
    zones TEXT NOT NULL
);
CREATE INDEX blacklist_checks_target ON blacklist_checks(target, at);
CREATE TABLE violations (
    id {ID},
    customer TEXT NOT NULL,
    found BIGINT NOT NULL,
    target TEXT NOT NULL,
    test BIGINT NOT NULL,
    charge BIGINT NOT NULL,
    resolved BIGINT,
    resolved_by BIGINT NOT NULL DEFAULT 0,
    paid INTEGER NOT NULL DEFAULT 0,
    notices INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX violations_customer ON violations(customer, target);
CREATE TABLE watch_targets (
    target TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    domain TEXT NOT NULL,
    last_test BIGINT NOT NULL DEFAULT 0,
    last_verdict TEXT NOT NULL DEFAULT '',
    last_rbl BIGINT NOT NULL DEFAULT 0,
    listed TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE notices (
    id {ID},
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    customer TEXT NOT NULL,
    about TEXT NOT NULL,
    recipients TEXT NOT NULL,
    queue_id TEXT NOT NULL
);
)sql",
        // 2: a customer's content scanning option (src/scan/).
        R"sql(
ALTER TABLE customers ADD COLUMN scan INTEGER NOT NULL DEFAULT 0;
)sql",
        // 3: the backup queue per domain over time, for the admin's pictures
        // (store/queue_samples.cpp). Additive: nothing before it changes.
        R"sql(
CREATE TABLE queue_samples (
    domain TEXT NOT NULL,
    at BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    bytes BIGINT NOT NULL
);
CREATE INDEX queue_samples_domain ON queue_samples(domain, at);
)sql",
        // 4: the public link of a test run from the web page: a random
        // token, so results cannot be enumerated ('' for the watch's tests,
        // which are never public).
        R"sql(
ALTER TABLE relay_tests ADD COLUMN token TEXT NOT NULL DEFAULT '';
CREATE INDEX relay_tests_token ON relay_tests(token);
)sql",
    };
    return all;
}

std::string for_dialect(std::string sql, Dialect d) {
    const std::string id = d == Dialect::sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
    for (std::size_t at; (at = sql.find("{ID}")) != std::string::npos;) sql.replace(at, 4, id);
    return sql;
}

}  // namespace

int current_version(Connection& c) {
    auto rows = c.query("SELECT MAX(version) FROM schema_version");
    return rows.empty() || !rows[0][0] ? 0 : std::stoi(*rows[0][0]);
}

void migrate(Connection& c) {
    c.script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const auto& all = migrations();
    c.begin();
    try {
        // Several MX hosts may start at once against one PostgreSQL
        // database: one migrates, the others wait and find it done.
        if (c.dialect() == Dialect::postgresql) c.query("SELECT pg_advisory_xact_lock(4711011)");
        int have = current_version(c);
        if (have > static_cast<int>(all.size())) {
            throw Error("the database's schema (version " + std::to_string(have) +
                        ") is newer than this holdfast knows (" + std::to_string(all.size()) + ")");
        }
        for (int v = have + 1; v <= static_cast<int>(all.size()); ++v) {
            c.script(for_dialect(all[v - 1], c.dialect()));
            c.query("INSERT INTO schema_version (version) VALUES (?)", {std::int64_t{v}});
        }
        c.commit();
    } catch (...) {
        try {
            c.rollback();
        } catch (...) {
        }
        throw;
    }
}

}  // namespace holdfast::store
