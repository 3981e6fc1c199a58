#include "verify/cache.hpp"

#include <gtest/gtest.h>

using namespace holdfast::verify;
using namespace std::chrono_literals;

namespace {
const Cache::Time T0 = std::chrono::system_clock::from_time_t(1'800'000'000);
}

TEST(VerifyCache, AnswersUntilExpiry) {
    Cache c;
    c.put("alice@c.test", Verdict::good, T0 + 10s);
    c.put("nobody@c.test", Verdict::bad, T0 + 5s);
    c.put("maybe@c.test", Verdict::unknown, T0 + 5s);
    EXPECT_EQ(c.find("alice@c.test", T0), Verdict::good);
    EXPECT_EQ(c.find("nobody@c.test", T0 + 4s), Verdict::bad);
    EXPECT_FALSE(c.find("nobody@c.test", T0 + 5s));
    EXPECT_FALSE(c.find("maybe@c.test", T0));
    c.purge(T0 + 6s);
    EXPECT_EQ(c.size(), 1u);
}

TEST(VerifyCache, JsonRoundTripDropsExpired) {
    Cache c;
    c.put("alice@c.test", Verdict::good, T0 + 100s);
    c.put("nobody@c.test", Verdict::bad, T0 + 5s);
    auto back = Cache::from_json(c.to_json(), T0 + 10s);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->size(), 1u);
    EXPECT_EQ(back->find("alice@c.test", T0 + 10s), Verdict::good);
}

TEST(VerifyCache, MalformedDocumentsAreRefused) {
    for (const char* text :
         {"", "{", "[]", "null", "{\"version\":2,\"entries\":[]}", "{\"version\":1}",
          "{\"version\":1,\"entries\":{}}", "{\"version\":1,\"entries\":[1]}",
          "{\"version\":1,\"entries\":[{\"address\":\"a\"}]}",
          "{\"version\":1,\"entries\":[{\"address\":\"a\",\"verdict\":\"ok\","
          "\"expires\":1}]}",
          "{\"version\":1,\"entries\":[{\"address\":1,\"verdict\":\"good\","
          "\"expires\":1}]}",
          "{\"version\":1,\"entries\":[{\"address\":\"a\",\"verdict\":\"good\","
          "\"expires\":\"soon\"}]}"}) {
        EXPECT_FALSE(Cache::from_json(text, T0)) << text;
    }
    // Absurd expiry times are skipped, not trusted (nor overflowed).
    auto c = Cache::from_json(
        "{\"version\":1,\"entries\":[{\"address\":\"a\",\"verdict\":\"good\","
        "\"expires\":9223372036854775807},{\"address\":\"b\",\"verdict\":\"good\","
        "\"expires\":-5}]}",
        T0);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->size(), 0u);
}

TEST(VerifyCache, ADictionaryAttackCannotGrowItWithoutBound) {
    Cache c;
    for (std::size_t i = 0; i < Cache::kMaxEntries; ++i) {
        c.put("x" + std::to_string(i) + "@c.test", Verdict::bad, T0 + 10s);
    }
    c.put("one-more@c.test", Verdict::bad, T0 + 10s);
    EXPECT_EQ(c.size(), Cache::kMaxEntries);
    EXPECT_FALSE(c.find("one-more@c.test", T0));
    c.put("alice@c.test", Verdict::good, T0 + 10s);  // pushes a bad one out
    EXPECT_EQ(c.size(), Cache::kMaxEntries);
    EXPECT_EQ(c.find("alice@c.test", T0), Verdict::good);
}
