#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "metrics/events.hpp"
#include "metrics/exposition.hpp"
#include "metrics/instruments.hpp"
#include "metrics/registry.hpp"

namespace holdfast::metrics {
namespace {

TEST(Exposition, EscapesLabelValuesAndHelp) {
    EXPECT_EQ(escape_label_value(R"(a\b"c)"
                                 "\n"
                                 "d"),
              R"(a\\b\"c\nd)");
    EXPECT_EQ(escape_help("back\\slash \"quoted\"\nnext"), "back\\\\slash \"quoted\"\\nnext");
    EXPECT_EQ(escape_label_value("plain.example"), "plain.example");
}

TEST(Exposition, FormatsValues) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(42), "42");
    EXPECT_EQ(format_value(-3), "-3");
    EXPECT_EQ(format_value(0.25), "0.25");
    EXPECT_EQ(format_value(0.0001), "0.0001");
    EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
    EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
    EXPECT_EQ(format_value(std::nan("")), "NaN");
    EXPECT_EQ(format_value(1e20), "1e+20");
}

TEST(Exposition, ChecksNames) {
    EXPECT_TRUE(valid_metric_name("holdfast_x_total"));
    EXPECT_TRUE(valid_metric_name("a:b"));
    EXPECT_FALSE(valid_metric_name(""));
    EXPECT_FALSE(valid_metric_name("1abc"));
    EXPECT_FALSE(valid_metric_name("a-b"));
    EXPECT_TRUE(valid_label_name("domain"));
    EXPECT_FALSE(valid_label_name("__name__"));
    EXPECT_FALSE(valid_label_name("a:b"));
    EXPECT_FALSE(valid_label_name("9"));
}

TEST(Exposition, RendersHelpTypeAndSamples) {
    std::vector<Family> fams{
        {"holdfast_queue_messages",
         "Messages\nqueued",
         Type::gauge,
         {{"", {{"domain", "a\"b.test"}}, 3}, {"", {{"domain", "c.test"}}, 0}}},
        {"holdfast_x_total", "X.", Type::counter, {{"", {}, 7}}},
        {"bad-name", "never shown", Type::counter, {{"", {}, 1}}},
        {"holdfast_y", "Y.", Type::gauge, {{"", {{"bad-label", "v"}}, 1}, {"", {}, 2}}},
    };
    EXPECT_EQ(render(fams),
              "# HELP holdfast_queue_messages Messages\\nqueued\n"
              "# TYPE holdfast_queue_messages gauge\n"
              "holdfast_queue_messages{domain=\"a\\\"b.test\"} 3\n"
              "holdfast_queue_messages{domain=\"c.test\"} 0\n"
              "# HELP holdfast_x_total X.\n"
              "# TYPE holdfast_x_total counter\n"
              "holdfast_x_total 7\n"
              "# HELP holdfast_y Y.\n"
              "# TYPE holdfast_y gauge\n"
              "holdfast_y 2\n");
}

TEST(Histogram, BucketsAreCumulativeWithInfSumAndCount) {
    Histogram h{0.001, 0.01, 0.1};
    h.observe_seconds(0.0005);  // <= 0.001
    h.observe_seconds(0.001);   // on the bound: le is "less than or equal"
    h.observe_seconds(0.05);    // <= 0.1
    h.observe_seconds(3);       // only +Inf
    h.observe(std::chrono::milliseconds(5));
    auto samples = histogram_samples(h.snapshot());
    ASSERT_EQ(samples.size(), 6u);
    auto le = [&](std::size_t i) { return samples[i].labels.at(0).second; };
    EXPECT_EQ(le(0), "0.001");
    EXPECT_EQ(samples[0].value, 2);
    EXPECT_EQ(le(1), "0.01");
    EXPECT_EQ(samples[1].value, 3);
    EXPECT_EQ(le(2), "0.1");
    EXPECT_EQ(samples[2].value, 4);
    EXPECT_EQ(le(3), "+Inf");
    EXPECT_EQ(samples[3].value, 5);
    EXPECT_EQ(samples[4].suffix, "_sum");
    EXPECT_NEAR(samples[4].value, 0.0005 + 0.001 + 0.05 + 3 + 0.005, 1e-9);
    EXPECT_EQ(samples[5].suffix, "_count");
    EXPECT_EQ(samples[5].value, 5);
}

TEST(Histogram, NegativeAndNaNCountAsZero) {
    Histogram h{0.5};
    h.observe_seconds(-1);
    h.observe_seconds(std::nan(""));
    h.observe(std::chrono::nanoseconds(-5));
    auto s = h.snapshot();
    EXPECT_EQ(s.counts[0], 3u);
    EXPECT_EQ(s.sum_seconds, 0);
}

TEST(Registry, RendersEverythingInOrder) {
    Counter c;
    LabelledCounter<3> verdicts{"verdict", {"open", "closed", "inconclusive"}};
    Histogram h{0.5};
    Registry r;
    r.counter("t_total", "T.", c);
    r.counter("v_total", "V.", verdicts);
    r.histogram("h_seconds", "H.", h);
    r.gauge("g", "G.", [] { return std::vector<Sample>{{"", {{"domain", "d.test"}}, 1.5}}; });
    r.gauge("broken", "Throws.", []() -> std::vector<Sample> { throw std::runtime_error("x"); });
    c.inc();
    c.inc(2);
    verdicts.inc("closed");
    verdicts.inc(std::string_view("whatever"));  // not in the set: the catch-all (last)
    verdicts.inc(0);
    h.observe_seconds(0.25);
    EXPECT_EQ(r.text(),
              "# HELP t_total T.\n# TYPE t_total counter\nt_total 3\n"
              "# HELP v_total V.\n# TYPE v_total counter\n"
              "v_total{verdict=\"open\"} 1\nv_total{verdict=\"closed\"} 1\n"
              "v_total{verdict=\"inconclusive\"} 1\n"
              "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
              "h_seconds_bucket{le=\"0.5\"} 1\nh_seconds_bucket{le=\"+Inf\"} 1\n"
              "h_seconds_sum 0.25\nh_seconds_count 1\n"
              "# HELP g G.\n# TYPE g gauge\ng{domain=\"d.test\"} 1.5\n"
              "# HELP broken Throws.\n# TYPE broken gauge\n");
}

TEST(Registry, SeveralFamiliesFromOneCollector) {
    Registry r;
    Counter c;
    r.counter("a_total", "A.", c);
    int calls = 0;
    r.families([&] {
        ++calls;
        return std::vector<Family>{{"q_messages", "Q.", Type::gauge, {{"", {{"domain", "d"}}, 2}}},
                                   {"q_up", "U.", Type::gauge, {{"", {{"domain", "d"}}, 1}}}};
    });
    r.families([]() -> std::vector<Family> { throw std::runtime_error("the queue is gone"); });
    EXPECT_EQ(r.text(),
              "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
              "# HELP q_messages Q.\n# TYPE q_messages gauge\nq_messages{domain=\"d\"} 2\n"
              "# HELP q_up U.\n# TYPE q_up gauge\nq_up{domain=\"d\"} 1\n");
    EXPECT_EQ(calls, 1) << "one look per scrape";
}

TEST(Registry, RefusesBadAndDuplicateNames) {
    Counter c;
    Registry r;
    r.counter("a_total", "A.", c);
    EXPECT_THROW(r.counter("a_total", "again", c), std::invalid_argument);
    EXPECT_THROW(r.counter("a b", "bad", c), std::invalid_argument);
}

TEST(Counter, ConcurrentIncrementsAllCount) {
    Counter c;
    Histogram h{0.001};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100000; ++i) {
                c.inc();
                h.observe(std::chrono::microseconds(1));
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value(), 400000u);
    EXPECT_EQ(h.snapshot().counts[0], 400000u);
}

TEST(Events, DescribesEveryHoldfastMetric) {
    Events e;
    Registry r;
    describe_events(r, e);
    e.messages_received.inc();
    std::string text = r.text();
    for (const char* name :
         {"holdfast_smtp_connections_total", "holdfast_messages_received_total 1\n",
          "holdfast_messages_delivered_total", "holdfast_messages_deferred_total",
          "holdfast_messages_bounced_total", "holdfast_relay_denied_total",
          "holdfast_dnsbl_hits_total", "holdfast_relay_tests_total{verdict=\"open\"} 0",
          "holdfast_spool_fsync_seconds_bucket{le=\"0.0001\"} 0",
          "holdfast_spool_fsync_seconds_count 0"}) {
        EXPECT_NE(text.find(name), std::string::npos) << name;
    }
}

TEST(Events, CountDeliveryByLogWord) {
    auto before = events().messages_delivered.value();
    auto bounced = events().messages_bounced.value();
    count_delivery("sent");
    count_delivery("failed");
    count_delivery("no-notice");
    EXPECT_EQ(events().messages_delivered.value(), before + 1);
    EXPECT_EQ(events().messages_bounced.value(), bounced + 1);
}

}  // namespace
}  // namespace holdfast::metrics
