#pragma once
// The watch's memory: customers, their domains' MX sets and every change,
// relay tests, blacklist checks, open-relay violations and the notices sent.
//
// One interface, two back ends behind it: SQLite (the embedded default, a
// file in WAL mode so the CLI and the daemon may use it at once) and
// PostgreSQL (several MX hosts sharing one customer list and one ledger).
// The schema is private (migrations.cpp, versioned; applied on open).
// Times are whole seconds since the epoch, UTC.
//
// Thread-safe: one connection, one mutex. Database failures (disk full, the
// server gone) throw store::Error; "no such customer / violation" is an
// empty optional or false, never an exception.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace holdfast::store {

using TimePoint = std::chrono::system_clock::time_point;

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Status { active, suspended };
const char* status_name(Status s);  // "active", "suspended"

struct Customer {
    std::string name;
    std::vector<std::string> emails;
    std::vector<std::string> domains;   // lower case
    std::vector<std::string> networks;  // CIDR text
    std::string notes;
    Status status = Status::active;
    TimePoint created{};
    bool scan = false;  // bought content scanning: mail for its domains is scanned (src/scan/)
};

// One MX record as last seen, with the addresses its host resolved to.
struct MxHost {
    std::uint16_t preference = 0;
    std::string host;
    std::vector<std::string> addresses;
    bool operator==(const MxHost&) const = default;
};

struct MxChange {
    std::string domain;
    TimePoint at{};
    std::vector<MxHost> before, after;
};

// A domain the backup MX serves because a customer has it.
struct ServedDomain {
    std::string domain;
    std::string customer;
    Status status = Status::active;
    bool scan = false;  // the customer's scan flag
};

struct RelayTest {
    std::int64_t id = 0;
    std::string customer;  // "" for tests of no customer (self, manual)
    std::string target;    // "ip:port"
    std::string trigger;   // mx-change | periodic | manual | web | self
    TimePoint at{};
    std::string verdict;  // open | closed | inconclusive
    std::string reason;
    std::string vectors_json;  // per-vector results, the relay-test JSON "vectors"
    std::string transcript;
    // The public link's id of a test run from the web page (random, not
    // guessable); "" for every other test: those are never public.
    std::string token;
};

struct BlacklistCheck {
    std::int64_t id = 0;
    std::string customer;
    std::string target;  // an address or a domain
    TimePoint at{};
    bool listed = false;
    std::string zones_json;  // per-zone results, the rbl JSON "zones"
};

struct Violation {
    std::int64_t id = 0;
    std::string customer;
    TimePoint found{};
    std::string target;  // "ip:port"
    std::int64_t test = 0;
    long charge = 0;
    bool open = true;
    std::optional<TimePoint> resolved;
    std::int64_t resolved_by = 0;  // the passing re-test; 0: by hand
    bool paid = false;
    int notices = 0;  // notices sent about it
};

// What the watch keeps per MX address between cycles (so a restart does
// what was due, and a listing is announced once).
struct TargetState {
    std::string target;  // "ip:port"
    std::string customer;
    std::string domain;
    TimePoint last_test{};  // epoch: never
    std::string last_verdict;
    TimePoint last_rbl{};
    std::vector<std::string> listed_zones;  // as of the last complete check
};

// How much waited for a backup domain at one moment (the watch samples
// every [watch] sample_interval).
struct QueueSample {
    std::string domain;
    TimePoint at{};
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

struct Notice {
    TimePoint at{};
    std::string kind;  // violation | resolved | listed | delisted | misconfigured
    std::string customer;
    std::string about;  // violation id, target or domain
    std::string recipients;
    std::string queue_id;
};

class Connection;  // a back end (database.hpp)

class Store {
  public:
    // "sqlite:PATH" (a relative PATH is taken from the working directory) or
    // "postgresql://..." / "postgres://..." (a libpq URI). Creates or
    // migrates the schema. Throws Error when it cannot.
    static std::unique_ptr<Store> open(const std::string& url);
    // The file of a "sqlite:" url (its -wal and -shm files sit beside it);
    // "" for any other url.
    static std::string sqlite_file(const std::string& url);
    explicit Store(std::unique_ptr<Connection> c);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    int schema_version();

    // --- customers ---------------------------------------------------------
    // False when the name, or one of the domains, is taken already (*why says which).
    bool add_customer(const Customer& c, TimePoint now, std::string* why = nullptr);
    std::vector<Customer> customers();
    std::optional<Customer> customer(const std::string& name);
    bool set_status(const std::string& name, Status s);
    bool set_scan(const std::string& name, bool scan);  // the content scanning option
    // Replaces c.name's e-mail addresses, domains, networks, notes and scan
    // flag (not its status or history). False (and *why) when there is no
    // such customer or a domain belongs to another one.
    bool update_customer(const Customer& c, std::string* why = nullptr);
    bool remove_customer(const std::string& name);  // history stays
    std::vector<ServedDomain> served_domains();

    // --- MX sets -------------------------------------------------------------
    std::optional<std::vector<MxHost>> mx_set(const std::string& domain);
    // Records the set; true (and a change row) when it differs from the last one.
    bool record_mx(const std::string& domain, const std::vector<MxHost>& set, TimePoint now);
    std::vector<MxChange> mx_history(const std::string& domain);

    // --- tests and checks ----------------------------------------------------
    std::int64_t add_relay_test(const RelayTest& t);
    // Rewrites test t.id (the web page stores a row when a test starts, for
    // its permanent link, and fills it in when it ends). False: no such id.
    bool update_relay_test(const RelayTest& t);
    std::optional<RelayTest> relay_test(std::int64_t id);
    std::optional<RelayTest> relay_test_by_token(const std::string& token);  // "": nullopt
    std::vector<RelayTest> relay_tests(const std::string& target);
    // A customer's newest `limit` tests (or checks), newest first.
    std::vector<RelayTest> customer_relay_tests(const std::string& customer, std::size_t limit);
    std::int64_t add_blacklist_check(const BlacklistCheck& c);
    std::vector<BlacklistCheck> blacklist_checks(const std::string& target);
    std::vector<BlacklistCheck> customer_blacklist_checks(const std::string& customer,
                                                          std::size_t limit);

    // --- violations ----------------------------------------------------------
    std::optional<Violation> open_violation(const std::string& customer, const std::string& target);
    std::size_t violation_count(const std::string& customer);  // all, open or not
    std::int64_t add_violation(const Violation& v);
    std::optional<Violation> violation(std::int64_t id);
    std::vector<Violation> violations(const std::string& customer = "");
    bool resolve_violation(std::int64_t id, std::int64_t by_test, TimePoint now);
    bool mark_paid(std::int64_t id);
    void count_notice(std::int64_t violation_id);

    // --- watch state ---------------------------------------------------------
    std::vector<TargetState> targets();
    void save_target(const TargetState& t);
    void remove_target(const std::string& target);

    void add_notice(const Notice& n);
    std::vector<Notice> notices(const std::string& customer = "");

    // --- queue samples (queue_samples.cpp) -----------------------------------
    void add_queue_sample(const std::string& domain, std::uint64_t messages, std::uint64_t bytes,
                          TimePoint at);
    // The samples of `domain` taken at or after `since`, oldest first.
    std::vector<QueueSample> queue_samples(const std::string& domain, TimePoint since);
    // Forgets the samples taken before `before` (they would grow without end).
    void prune_queue_samples(TimePoint before);

  private:
    std::mutex mu_;
    std::unique_ptr<Connection> db_;
};

}  // namespace holdfast::store
