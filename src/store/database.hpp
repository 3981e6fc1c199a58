#pragma once
// What store.cpp needs from a database, and nothing more: statements with
// `?` parameters, rows of text (NULL = nullopt), transactions. Private to
// store/: callers see store.hpp only.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace holdfast::store {

using Value = std::variant<std::monostate, std::int64_t, std::string>;
using Row = std::vector<std::optional<std::string>>;

enum class Dialect { sqlite, postgresql };

class Connection {
  public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const = 0;
    // Runs one statement; returns its rows. Throws Error.
    virtual std::vector<Row> query(const std::string& sql,
                                   const std::vector<Value>& params = {}) = 0;
    // Several statements, no parameters (migrations).
    virtual void script(const std::string& sql) = 0;
    // A write transaction: SQLite's BEGIN IMMEDIATE (no upgrade deadlock
    // between the CLI and the daemon), PostgreSQL's BEGIN.
    virtual void begin() = 0;
    void commit() { query("COMMIT"); }
    void rollback() { query("ROLLBACK"); }
};

std::unique_ptr<Connection> open_sqlite(const std::string& path);
std::unique_ptr<Connection> open_postgresql(const std::string& uri);

// The schema, by version (migrations.cpp): applies what is missing.
void migrate(Connection& c);
int current_version(Connection& c);

}  // namespace holdfast::store
