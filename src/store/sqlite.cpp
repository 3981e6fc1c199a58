// The SQLite back end: one file, WAL mode (readers never block the writer;
// the CLI and the daemon share the file), a busy timeout instead of
// SQLITE_BUSY errors, foreign keys on.
#include <sqlite3.h>

#include <filesystem>

#include "store/database.hpp"
#include "store/store.hpp"

namespace holdfast::store {
namespace {

class Sqlite final : public Connection {
  public:
    explicit Sqlite(const std::string& path) {
        std::filesystem::path p(path);
        if (p.has_parent_path()) {
            std::error_code ec;
            std::filesystem::create_directories(p.parent_path(), ec);
        }
        if (sqlite3_open_v2(path.c_str(), &db_,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            nullptr) != SQLITE_OK) {
            std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            db_ = nullptr;
            throw Error("sqlite " + path + ": " + why);
        }
        sqlite3_busy_timeout(db_, 10000);
        script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    }
    ~Sqlite() override { sqlite3_close(db_); }

    Dialect dialect() const override { return Dialect::sqlite; }

    std::vector<Row> query(const std::string& sql, const std::vector<Value>& params) override {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr) !=
            SQLITE_OK) {
            throw Error(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + sql);
        }
        struct Finalize {
            sqlite3_stmt* s;
            ~Finalize() { sqlite3_finalize(s); }
        } fin{st};
        for (std::size_t i = 0; i < params.size(); ++i) {
            int idx = static_cast<int>(i) + 1;
            const Value& v = params[i];
            if (auto n = std::get_if<std::int64_t>(&v)) {
                sqlite3_bind_int64(st, idx, *n);
            } else if (auto s = std::get_if<std::string>(&v)) {
                sqlite3_bind_text(st, idx, s->data(), static_cast<int>(s->size()),
                                  SQLITE_TRANSIENT);
            } else {
                sqlite3_bind_null(st, idx);
            }
        }
        std::vector<Row> rows;
        for (;;) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                throw Error(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + sql);
            }
            Row row;
            int n = sqlite3_column_count(st);
            for (int c = 0; c < n; ++c) {
                if (sqlite3_column_type(st, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    auto text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
                    row.emplace_back(std::string(text, sqlite3_column_bytes(st, c)));
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

    void script(const std::string& sql) override {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string why = err ? err : "error";
            sqlite3_free(err);
            throw Error("sqlite: " + why);
        }
    }

    void begin() override { query("BEGIN IMMEDIATE", {}); }

  private:
    sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path) {
    return std::make_unique<Sqlite>(path);
}

}  // namespace holdfast::store
