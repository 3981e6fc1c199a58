// The same tests against both back ends: a temporary SQLite file, and a
// throw-away PostgreSQL cluster (skipped where postgresql-15 is missing).
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/database.hpp"
#include "store/test_postgres.hpp"

namespace holdfast::store {
namespace {

using namespace std::chrono_literals;

testing::PostgresCluster& cluster() {
    static testing::PostgresCluster c;
    return c;
}

const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));

class StoreTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            dir_ = std::filesystem::temp_directory_path() /
                   ("holdfast-store-" + std::to_string(getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
            std::filesystem::remove_all(dir_);
            std::filesystem::create_directories(dir_);
            url_ = "sqlite:" + (dir_ / "holdfast.db").string();
        } else {
            if (!cluster().available()) GTEST_SKIP() << "no PostgreSQL (postgresql-15)";
            url_ = cluster().database();
        }
        store_ = Store::open(url_);
    }
    void TearDown() override {
        store_.reset();
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }

    Customer acme() {
        Customer c;
        c.name = "acme";
        c.emails = {"admin@acme.test", "boss@acme.test"};
        c.domains = {"acme.test", "acme-mail.test"};
        c.networks = {"192.0.2.0/24"};
        return c;
    }

    std::filesystem::path dir_;
    std::string url_;
    std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, MigratesToTheNewestVersionOnceAndReopens) {
    EXPECT_EQ(store_->schema_version(), 4);
    ASSERT_TRUE(store_->add_customer(acme(), t0));
    store_.reset();
    store_ = Store::open(url_);  // migrations not run twice, data kept
    EXPECT_EQ(store_->schema_version(), 4);
    EXPECT_EQ(store_->customers().size(), 1u);
}

TEST_P(StoreTest, CustomersAddListSuspendRemove) {
    std::string why;
    ASSERT_TRUE(store_->add_customer(acme(), t0, &why)) << why;
    EXPECT_FALSE(store_->add_customer(acme(), t0, &why));
    EXPECT_NE(why.find("exists"), std::string::npos);
    Customer other;
    other.name = "other";
    other.domains = {"acme.test"};
    EXPECT_FALSE(store_->add_customer(other, t0, &why));
    EXPECT_NE(why.find("belongs to customer acme"), std::string::npos);

    auto c = store_->customer("acme");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->emails, acme().emails);
    EXPECT_EQ(c->domains, acme().domains);
    EXPECT_EQ(c->networks, acme().networks);
    EXPECT_EQ(c->status, Status::active);
    EXPECT_EQ(c->created, t0);

    EXPECT_TRUE(store_->set_status("acme", Status::suspended));
    EXPECT_FALSE(store_->set_status("nobody", Status::suspended));
    auto served = store_->served_domains();
    ASSERT_EQ(served.size(), 2u);
    EXPECT_EQ(served[0].domain, "acme-mail.test");
    EXPECT_EQ(served[0].status, Status::suspended);

    // The content scanning option (migration 2): off by default.
    EXPECT_FALSE(store_->customer("acme")->scan);
    EXPECT_FALSE(served[0].scan);
    EXPECT_TRUE(store_->set_scan("acme", true));
    EXPECT_FALSE(store_->set_scan("nobody", true));
    EXPECT_TRUE(store_->customer("acme")->scan);
    EXPECT_TRUE(store_->served_domains()[1].scan);

    EXPECT_TRUE(store_->remove_customer("acme"));
    EXPECT_FALSE(store_->remove_customer("acme"));
    EXPECT_TRUE(store_->customers().empty());
    EXPECT_TRUE(store_->served_domains().empty());
    other.domains = {"acme.test"};
    EXPECT_TRUE(store_->add_customer(other, t0));  // the domain is free again
}

TEST_P(StoreTest, CustomerEditedKeepsStatusAndHistory) {
    ASSERT_TRUE(store_->add_customer(acme(), t0));
    Customer other;
    other.name = "other";
    other.domains = {"other.test"};
    ASSERT_TRUE(store_->add_customer(other, t0));
    ASSERT_TRUE(store_->set_status("acme", Status::suspended));

    Customer edit = acme();
    edit.emails = {"noc@acme.test"};
    edit.domains = {"acme.test", "acme.example"};
    edit.networks = {"192.0.2.0/24"};
    edit.notes = "moved to a new block";
    edit.scan = true;
    std::string why;
    ASSERT_TRUE(store_->update_customer(edit, &why)) << why;
    auto c = store_->customer("acme");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->emails, edit.emails);
    EXPECT_EQ(c->domains, edit.domains);
    EXPECT_EQ(c->networks, edit.networks);
    EXPECT_EQ(c->notes, "moved to a new block");
    EXPECT_TRUE(c->scan);
    EXPECT_EQ(c->status, Status::suspended);  // editing is not unsuspending
    EXPECT_EQ(c->created, t0);

    edit.domains = {"other.test"};  // taken
    EXPECT_FALSE(store_->update_customer(edit, &why));
    EXPECT_NE(why.find("belongs to customer other"), std::string::npos);
    EXPECT_EQ(store_->customer("acme")->domains,
              (std::vector<std::string>{"acme.test", "acme.example"}));
    edit.name = "nobody";
    EXPECT_FALSE(store_->update_customer(edit, &why));
    EXPECT_NE(why.find("no customer nobody"), std::string::npos);
}

TEST_P(StoreTest, MxChangesAreRecordedWithTheirTime) {
    std::vector<MxHost> a = {{10, "mx.acme.test", {"192.0.2.1"}}, {20, "backup.isp.test", {}}};
    std::vector<MxHost> b = {{10, "mx2.acme.test", {"192.0.2.2"}}};
    EXPECT_FALSE(store_->mx_set("acme.test"));
    EXPECT_TRUE(store_->record_mx("acme.test", a, t0));
    EXPECT_FALSE(store_->record_mx("acme.test", a, t0 + 300s));
    EXPECT_TRUE(store_->record_mx("acme.test", b, t0 + 600s));
    EXPECT_EQ(*store_->mx_set("acme.test"), b);
    auto h = store_->mx_history("acme.test");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_TRUE(h[0].before.empty());
    EXPECT_EQ(h[0].after, a);
    EXPECT_EQ(h[1].at, t0 + 600s);
    EXPECT_EQ(h[1].before, a);
    EXPECT_EQ(h[1].after, b);
}

TEST_P(StoreTest, RelayTestRowFilledInWhenDone) {
    RelayTest t{0, "", "127.0.0.1:25", "web", t0, "running", "", "[]", "", "0a1b2c"};
    t.id = store_->add_relay_test(t);
    ASSERT_TRUE(store_->relay_test_by_token("0a1b2c"));
    EXPECT_EQ(store_->relay_test_by_token("0a1b2c")->id, t.id);
    EXPECT_FALSE(store_->relay_test_by_token("0a1b2d"));
    EXPECT_FALSE(store_->relay_test_by_token(""));  // the watch's tests have none
    t.verdict = "closed";
    t.transcript = "S: 220";
    EXPECT_TRUE(store_->update_relay_test(t));
    auto back = store_->relay_test(t.id);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->verdict, "closed");
    EXPECT_EQ(back->transcript, "S: 220");
    t.id += 1000;
    EXPECT_FALSE(store_->update_relay_test(t));
}

TEST_P(StoreTest, TestsAndChecksOfACustomerNewestFirst) {
    for (int i = 0; i < 4; ++i) {
        store_->add_relay_test({0, i == 3 ? "other" : "acme",
                                "192.0.2." + std::to_string(i) + ":25", "periodic",
                                t0 + std::chrono::hours(i), "closed", "", "[]", "", ""});
        store_->add_blacklist_check(
            {0, i == 3 ? "other" : "acme", "192.0.2." + std::to_string(i), t0, i == 1, "[]"});
    }
    auto tests = store_->customer_relay_tests("acme", 2);
    ASSERT_EQ(tests.size(), 2u);
    EXPECT_EQ(tests[0].target, "192.0.2.2:25");
    EXPECT_EQ(tests[1].target, "192.0.2.1:25");
    auto checks = store_->customer_blacklist_checks("acme", 10);
    ASSERT_EQ(checks.size(), 3u);
    EXPECT_EQ(checks[0].target, "192.0.2.2");
    EXPECT_TRUE(checks[1].listed);
    EXPECT_TRUE(store_->customer_relay_tests("nobody", 10).empty());
}

TEST_P(StoreTest, ViolationsOpenResolvePaid) {
    RelayTest t{0, "acme", "192.0.2.1:25", "mx-change", t0, "open", "relayed", "[]", "S: 220", ""};
    auto test = store_->add_relay_test(t);
    EXPECT_GT(test, 0);
    EXPECT_EQ(store_->relay_test(test)->transcript, "S: 220");
    EXPECT_EQ(store_->relay_tests("192.0.2.1:25").size(), 1u);
    EXPECT_FALSE(store_->open_violation("acme", "192.0.2.1:25"));
    Violation v;
    v.customer = "acme";
    v.found = t0;
    v.target = "192.0.2.1:25";
    v.test = test;
    v.charge = 100;
    auto id = store_->add_violation(v);
    EXPECT_EQ(store_->violation_count("acme"), 1u);
    auto open = store_->open_violation("acme", "192.0.2.1:25");
    ASSERT_TRUE(open);
    EXPECT_EQ(open->id, id);
    EXPECT_EQ(open->charge, 100);
    store_->count_notice(id);
    EXPECT_TRUE(store_->resolve_violation(id, 42, t0 + 60s));
    EXPECT_FALSE(store_->resolve_violation(id, 43, t0 + 90s));
    EXPECT_FALSE(store_->open_violation("acme", "192.0.2.1:25"));
    EXPECT_TRUE(store_->mark_paid(id));
    EXPECT_FALSE(store_->mark_paid(id + 100));
    auto got = store_->violation(id);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->open);
    EXPECT_EQ(*got->resolved, t0 + 60s);
    EXPECT_EQ(got->resolved_by, 42);
    EXPECT_TRUE(got->paid);
    EXPECT_EQ(got->notices, 1);
    EXPECT_EQ(store_->violations("acme").size(), 1u);
    EXPECT_TRUE(store_->violations("other").empty());
}

TEST_P(StoreTest, WatchStateSurvivesAReopen) {
    TargetState t;
    t.target = "192.0.2.1:25";
    t.customer = "acme";
    t.domain = "acme.test";
    t.last_test = t0;
    t.last_verdict = "closed";
    t.listed_zones = {"bl.test"};
    store_->save_target(t);
    t.last_rbl = t0 + 5s;
    store_->save_target(t);
    store_->add_blacklist_check({0, "acme", "192.0.2.1", t0, true, "[]"});
    store_->add_notice({t0, "listed", "acme", "192.0.2.1", "admin@acme.test", "Q1"});
    store_.reset();
    store_ = Store::open(url_);
    auto ts = store_->targets();
    ASSERT_EQ(ts.size(), 1u);
    EXPECT_EQ(ts[0].last_rbl, t0 + 5s);
    EXPECT_EQ(ts[0].listed_zones, std::vector<std::string>{"bl.test"});
    EXPECT_EQ(store_->blacklist_checks("192.0.2.1").size(), 1u);
    EXPECT_EQ(store_->notices("acme").at(0).queue_id, "Q1");
    store_->remove_target("192.0.2.1:25");
    EXPECT_TRUE(store_->targets().empty());
}

TEST_P(StoreTest, QueueSamplesByDomainSinceATime) {
    EXPECT_TRUE(store_->queue_samples("customer.test", t0).empty());
    store_->add_queue_sample("customer.test", 3, 4500, t0);
    store_->add_queue_sample("other.test", 1, 10, t0 + 60s);
    store_->add_queue_sample("customer.test", 0, 0, t0 + 600s);
    store_->add_queue_sample("customer.test", 7, 9000, t0 + 300s);
    auto all = store_->queue_samples("customer.test", t0);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].at, t0);
    EXPECT_EQ(all[0].messages, 3u);
    EXPECT_EQ(all[0].bytes, 4500u);
    EXPECT_EQ(all[1].at, t0 + 300s);  // oldest first, whatever the order written
    EXPECT_EQ(all[1].messages, 7u);
    EXPECT_EQ(all[2].domain, "customer.test");
    auto recent = store_->queue_samples("customer.test", t0 + 1s);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[0].at, t0 + 300s);
    store_->prune_queue_samples(t0 + 301s);
    ASSERT_EQ(store_->queue_samples("customer.test", t0).size(), 1u);
    EXPECT_EQ(store_->queue_samples("other.test", t0).size(), 0u);
    store_->add_queue_sample("customer.test", UINT64_MAX, 1, t0 + 900s);  // clamped, not wrapped
    EXPECT_EQ(store_->queue_samples("customer.test", t0 + 900s).at(0).messages,
              static_cast<std::uint64_t>(INT64_MAX));
}

// A version-1 database (as shipped before the samples) gains the table
// and keeps its data.
TEST(StoreSqlite, MigratesAVersionOneDatabase) {
    auto dir =
        std::filesystem::temp_directory_path() / ("holdfast-store-v1-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string path = (dir / "holdfast.db").string();
    {
        auto c = open_sqlite(path);
        c->script(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);"
            "INSERT INTO schema_version VALUES (1);"
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
            "INSERT INTO customers (name) VALUES ('kept');"
            "CREATE TABLE relay_tests (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, target TEXT "
            "NOT NULL, trigger_kind TEXT NOT NULL, at BIGINT NOT NULL, verdict TEXT NOT NULL, "
            "reason TEXT NOT NULL, vectors TEXT NOT NULL, transcript TEXT NOT NULL);"
            "INSERT INTO relay_tests (customer, target, trigger_kind, at, verdict, reason, "
            "vectors, "
            "transcript) VALUES ('kept', '192.0.2.1:25', 'web', 0, 'closed', '', '[]', '');");
    }
    auto s = Store::open("sqlite:" + path);
    EXPECT_EQ(s->schema_version(), 4);
    s->add_queue_sample("customer.test", 1, 2, t0);
    EXPECT_EQ(s->queue_samples("customer.test", t0).size(), 1u);
    auto old = s->relay_test(1);  // migration 4: an old test has no public link
    ASSERT_TRUE(old);
    EXPECT_EQ(old->token, "");
    s.reset();
    auto c = open_sqlite(path);
    EXPECT_EQ(c->query("SELECT name FROM customers")[0][0].value_or(""), "kept");
    c.reset();
    std::filesystem::remove_all(dir);
}

TEST(StoreUrl, RefusesWhatItCannotOpen) {
    EXPECT_THROW(Store::open("mysql://x"), Error);
    EXPECT_THROW(Store::open("sqlite:"), Error);
}

TEST(StoreSqlite, UsesWalMode) {
    auto dir =
        std::filesystem::temp_directory_path() / ("holdfast-wal-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto c = open_sqlite((dir / "db").string());
    EXPECT_EQ(c->query("PRAGMA journal_mode").at(0).at(0), "wal");
    c.reset();
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace holdfast::store
