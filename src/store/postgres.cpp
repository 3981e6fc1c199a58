// The PostgreSQL back end (libpq): for an ISP with several MX hosts that
// share one customer list and one ledger. Statements are written with `?`
// and numbered ($1, $2, ...) here; every value travels as text.
#include <libpq-fe.h>

#include "store/database.hpp"
#include "store/store.hpp"

namespace holdfast::store {
namespace {

std::string numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    bool quoted = false;
    for (char c : sql) {
        if (c == '\'') quoted = !quoted;
        if (c == '?' && !quoted) {
            out += '$' + std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

class Postgres final : public Connection {
  public:
    explicit Postgres(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
        if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
            std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
            PQfinish(conn_);
            conn_ = nullptr;
            while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
            throw Error("postgresql: " + why);
        }
        // Our own notices (CREATE TABLE IF NOT EXISTS ...) are not news.
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
    }
    ~Postgres() override { PQfinish(conn_); }

    Dialect dialect() const override { return Dialect::postgresql; }

    std::vector<Row> query(const std::string& sql, const std::vector<Value>& params) override {
        std::vector<std::string> texts(params.size());
        std::vector<const char*> values(params.size(), nullptr);
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (auto n = std::get_if<std::int64_t>(&params[i])) {
                texts[i] = std::to_string(*n);
                values[i] = texts[i].c_str();
            } else if (auto s = std::get_if<std::string>(&params[i])) {
                values[i] = s->c_str();
            }
        }
        std::string q = numbered(sql);
        PGresult* res = PQexecParams(conn_, q.c_str(), static_cast<int>(params.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0);
        struct Clear {
            PGresult* r;
            ~Clear() { PQclear(r); }
        } clear{res};
        auto status = PQresultStatus(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            std::string why = PQresultErrorMessage(res);
            while (!why.empty() && why.back() == '\n') why.pop_back();
            throw Error("postgresql: " + why + " in: " + sql);
        }
        std::vector<Row> rows;
        int nrows = PQntuples(res), ncols = PQnfields(res);
        for (int r = 0; r < nrows; ++r) {
            Row row;
            for (int c = 0; c < ncols; ++c) {
                if (PQgetisnull(res, r, c)) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

    void script(const std::string& sql) override {
        PGresult* res = PQexec(conn_, sql.c_str());
        auto status = PQresultStatus(res);
        std::string why = PQresultErrorMessage(res);
        PQclear(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            throw Error("postgresql: " + why);
        }
    }

    void begin() override { query("BEGIN", {}); }

  private:
    PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_postgresql(const std::string& uri) {
    return std::make_unique<Postgres>(uri);
}

}  // namespace holdfast::store
