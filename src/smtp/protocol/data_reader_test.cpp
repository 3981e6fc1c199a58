#include "smtp/protocol/data_reader.hpp"

#include <gtest/gtest.h>

using holdfast::smtp::DataReader;
using holdfast::smtp::LineFramer;

namespace {
// Feeds input through a data-mode framer; returns true if the end was seen.
bool run(DataReader& r, std::string_view input, std::size_t max_line = 1000) {
    LineFramer f(max_line);
    f.set_mode(LineFramer::Mode::data);
    f.feed(input);
    while (auto l = f.next()) {
        if (r.add(*l)) return true;
    }
    return false;
}
}  // namespace

TEST(DataReader, UnstuffsDotsAndEndsOnDotLine) {
    DataReader r("Received: x\r\n", 1000);
    EXPECT_TRUE(run(r, "Subject: hi\r\n\r\n..leading dot\r\n.\r\n"));
    EXPECT_EQ(r.problem(), DataReader::Problem::none);
    EXPECT_EQ(r.take(), "Received: x\r\nSubject: hi\r\n\r\n.leading dot\r\n");
}

TEST(DataReader, SmugglingNeverEndsDataAndIsRefused) {
    DataReader r("", 10000);
    EXPECT_FALSE(run(r, "a\r\n\n.\nMAIL FROM:<x@y.test>\r\nRCPT TO:<v@z.test>\r\n"));
    DataReader r2("", 10000);
    EXPECT_TRUE(run(r2, "a\n.\nb\r\n.\r\n"));
    EXPECT_EQ(r2.problem(), DataReader::Problem::bad_line_ending);
}

TEST(DataReader, TooBigKeepsReadingToTheEnd) {
    DataReader r("", 10);
    EXPECT_TRUE(run(r, "0123456789\r\nmore\r\n.\r\n"));
    EXPECT_EQ(r.problem(), DataReader::Problem::too_big);
    EXPECT_TRUE(r.take().empty());
}

TEST(DataReader, OverlongLineIsAProblem) {
    DataReader r("", 100000);
    EXPECT_TRUE(run(r, std::string(2000, 'a') + "\r\n.\r\n"));
    EXPECT_EQ(r.problem(), DataReader::Problem::line_too_long);
}

TEST(DataReader, NulOctetIsAProblem) {
    DataReader r("", 100000);
    EXPECT_TRUE(run(r, std::string("Subject: a\r\n\r\nb\0c\r\n.\r\n", 22)));
    EXPECT_EQ(r.problem(), DataReader::Problem::nul);
    EXPECT_TRUE(r.take().empty());
}

TEST(DataReader, CountsReceivedFieldsInTheHeaderOnly) {
    DataReader r("Received: ours\r\n", 100000, 2);
    EXPECT_TRUE(run(r,
                    "Received: from a\r\n\tby b\r\nRECEIVED : from c\r\nReceived-SPF: pass\r\n"
                    "X-Received: x\r\n\r\nReceived: in the body\r\nReceived: again\r\n.\r\n"));
    EXPECT_EQ(r.received_fields(), 2u);
    EXPECT_EQ(r.problem(), DataReader::Problem::none);
}

TEST(DataReader, TooManyReceivedFieldsIsAProblem) {
    DataReader r("", 100000, 2);
    EXPECT_TRUE(run(r, "Received: 1\r\nreceived: 2\r\nReceived:3\r\n\r\nbody\r\n.\r\n"));
    EXPECT_EQ(r.problem(), DataReader::Problem::too_many_hops);
    EXPECT_TRUE(r.take().empty());
}

TEST(DataReader, TakeDrainsWhatWasCollectedSoFar) {
    DataReader r("R: x\r\n", 100000);
    LineFramer f(1000);
    f.set_mode(LineFramer::Mode::data);
    f.feed("a\r\nb\r\n");
    std::string out;
    while (auto l = f.next()) EXPECT_FALSE(r.add(*l));
    out += r.take();
    EXPECT_EQ(r.buffered(), 0u);
    f.feed("..c\r\n.\r\n");
    bool end = false;
    while (auto l = f.next()) end = r.add(*l);
    EXPECT_TRUE(end);
    out += r.take();
    EXPECT_EQ(out, "R: x\r\na\r\nb\r\n.c\r\n");
    EXPECT_EQ(r.received(), 10u);
}
