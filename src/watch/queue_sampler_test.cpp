#include "watch/queue_sampler.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "mail/queue_id.hpp"

namespace holdfast::watch {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

struct Dir {
    std::filesystem::path path;
    Dir() {
        path = std::filesystem::temp_directory_path() /
               ("holdfast-sampler-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path / "spool");
    }
    ~Dir() { std::filesystem::remove_all(path); }
};

void store_message(queue::Spool& spool, const std::string& rcpt, const std::string& body) {
    queue::Envelope e;
    e.id = mail::new_queue_id();
    e.sender = "sender@example.test";
    e.recipients.push_back({rcpt, queue::RecipientKind::backup, {}, {}, {}, {}});
    e.arrival = std::chrono::system_clock::now();
    std::promise<std::error_code> done;
    spool.store(e, body, [&](std::error_code ec) { done.set_value(ec); });
    ASSERT_FALSE(done.get_future().get());
}

TEST(QueueSampler, OneRowPerDomainAndOldOnesDropped) {
    Dir dir;
    std::error_code ec;
    auto spool = queue::Spool::open(dir.path / "spool", ec);
    ASSERT_TRUE(spool) << ec.message();
    auto store = store::Store::open("sqlite:" + (dir.path / "holdfast.db").string());
    store_message(*spool, "alice@customer.test", "Subject: a\r\n\r\nhello\r\n");
    store_message(*spool, "bob@customer.test", "Subject: b\r\n\r\nhello again\r\n");
    store_message(*spool, "carol@elsewhere.test", "x\r\n");

    TimePoint now = TimePoint(std::chrono::seconds(1'800'000'000));
    SamplerSettings s;
    s.retention = 24h;
    s.domains = [] { return std::vector<std::string>{"customer.test", "quiet.test"}; };
    s.clock = [&] { return now; };
    QueueSampler sampler(*store, *spool, s);
    EXPECT_EQ(sampler.sample_once(), 2u);
    auto rows = store->queue_samples("customer.test", now - 1h);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].messages, 2u);
    EXPECT_GT(rows[0].bytes, 20u);
    EXPECT_EQ(rows[0].at, now);
    auto quiet = store->queue_samples("quiet.test", now - 1h);
    ASSERT_EQ(quiet.size(), 1u);
    EXPECT_EQ(quiet[0].messages, 0u);
    EXPECT_TRUE(store->queue_samples("elsewhere.test", now - 1h).empty()) << "not a backup domain";

    now += 25h;  // the first samples are past the retention now
    sampler.sample_once();
    EXPECT_EQ(store->queue_samples("customer.test", TimePoint{}).size(), 1u);
}

TEST(QueueSampler, SamplesAtStartThenEveryInterval) {
    Dir dir;
    std::error_code ec;
    auto spool = queue::Spool::open(dir.path / "spool", ec);
    ASSERT_TRUE(spool) << ec.message();
    auto store = store::Store::open("sqlite:" + (dir.path / "holdfast.db").string());
    SamplerSettings s;
    s.interval = 1s;
    s.domains = [] { return std::vector<std::string>{"customer.test"}; };
    QueueSampler sampler(*store, *spool, s);
    sampler.start();
    std::this_thread::sleep_for(1500ms);
    sampler.stop();
    auto n = store->queue_samples("customer.test", TimePoint{}).size();
    EXPECT_GE(n, 2u);
    EXPECT_LE(n, 3u);
}

TEST(QueueSampler, ZeroIntervalNeverStarts) {
    Dir dir;
    std::error_code ec;
    auto spool = queue::Spool::open(dir.path / "spool", ec);
    ASSERT_TRUE(spool) << ec.message();
    auto store = store::Store::open("sqlite:" + (dir.path / "holdfast.db").string());
    SamplerSettings s;
    s.interval = 0s;
    s.domains = [] { return std::vector<std::string>{"customer.test"}; };
    QueueSampler sampler(*store, *spool, s);
    sampler.start();
    sampler.stop();
    EXPECT_TRUE(store->queue_samples("customer.test", TimePoint{}).empty());
}

}  // namespace
}  // namespace holdfast::watch
