#include "queue/domain_stats.hpp"

#include <gtest/gtest.h>

#include <future>

#include "mail/queue_id.hpp"
#include "queue/spool.hpp"
#include "queue/test_dir.hpp"

using namespace holdfast::queue;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

Envelope message(std::uint64_t size, int arrival, std::vector<Recipient> rcpts) {
    Envelope e;
    e.id = "x";
    e.size = size;
    e.arrival = system_clock::time_point(seconds(arrival));
    e.recipients = std::move(rcpts);
    return e;
}

Recipient pending(std::string a) {
    return {std::move(a), RecipientKind::backup, {}, {}, {}, {}};
}
Recipient done(std::string a) {
    Recipient r = pending(std::move(a));
    r.state = RecipientState::delivered;
    return r;
}

TEST(DomainStats, CountsEachMessageOncePerPendingDomain) {
    auto stats = stats_by_domain({
        message(100, 50, {pending("a@Customer.TEST"), pending("b@customer.test")}),
        message(10, 20, {pending("c@customer.test"), pending("d@other.test")}),
        message(1000, 10, {done("e@customer.test")}),  // nothing pending there
        message(7, 5, {pending("not an address")}),
    });
    ASSERT_EQ(stats.size(), 2u);
    EXPECT_EQ(stats["customer.test"].messages, 2u);
    EXPECT_EQ(stats["customer.test"].bytes, 110u);
    EXPECT_EQ(stats["customer.test"].oldest, system_clock::time_point(seconds(20)));
    EXPECT_EQ(stats["other.test"].messages, 1u);
}

TEST(DomainStats, EmptyQueueHasNoDomains) {
    EXPECT_TRUE(stats_by_domain(std::vector<Envelope>{}).empty());
}

TEST(DomainStats, ASpoolGivesWhatItsListGives) {
    holdfast::queue::testing::TestDir dir;
    std::error_code ec;
    auto spool = Spool::open(dir.path(), ec);
    ASSERT_TRUE(spool) << ec.message();
    EXPECT_TRUE(stats_by_domain(*spool).empty());
    std::vector<Envelope> sent = {
        message(0, 50, {pending("a@Customer.TEST"), pending("b@customer.test")}),
        message(0, 20, {pending("c@customer.test"), pending("d@other.test")})};
    for (std::size_t i = 0; i < sent.size(); ++i) {
        sent[i].id = holdfast::mail::new_queue_id();
        std::promise<std::error_code> stored;
        spool->store(sent[i], std::string(100 * (i + 1), 'x'),
                     [&](std::error_code e) { stored.set_value(e); });
        ASSERT_FALSE(stored.get_future().get());
    }
    auto from_spool = stats_by_domain(*spool);
    auto from_list = stats_by_domain(spool->list());
    ASSERT_EQ(from_spool.size(), 2u);
    EXPECT_EQ(from_spool["customer.test"].messages, 2u);
    EXPECT_EQ(from_spool["customer.test"].bytes, 300u);
    EXPECT_EQ(from_spool["other.test"].messages, 1u);
    for (const auto& [domain, s] : from_list) {
        EXPECT_EQ(from_spool[domain].messages, s.messages) << domain;
        EXPECT_EQ(from_spool[domain].bytes, s.bytes) << domain;
        EXPECT_EQ(from_spool[domain].oldest, s.oldest) << domain;
    }
}

}  // namespace
