#include "queue/domain_stats.hpp"

#include <gtest/gtest.h>

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
    EXPECT_TRUE(stats_by_domain({}).empty());
}

}  // namespace
