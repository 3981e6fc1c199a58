// The spool's segments on disk: recovery from torn and unreadable ones,
// when a segment is retired, and segments made ahead full of zeros
// (docs/queue-format.md).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "queue/record.hpp"
#include "queue/segment.hpp"
#include "queue/spool.hpp"
#include "queue/spool_test_helpers.hpp"
#include "queue/test_dir.hpp"

using namespace holdfast::queue;
using namespace holdfast::queue::testing;
namespace fs = std::filesystem;

TEST(Spool, RecoverySkipsATornTailAndNeverAppendsAfterIt) {
    TestDir dir;
    Envelope kept = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, kept, "hello\r\n"));
    }
    // A crash in the middle of the next batch's write: part of a record.
    fs::path first = dir.path() / "log" / "0000000000000001.seg";
    std::string half;
    Envelope lost = envelope();
    segment::append_record(half, segment::RecordType::message, record::envelope_json(lost) + "\n",
                           "never acknowledged");
    half.resize(half.size() / 2);
    { std::ofstream(first, std::ios::binary | std::ios::app) << half; }
    Envelope later = envelope();
    {
        auto s = open_ok(dir.path());
        EXPECT_EQ(s->recovery().torn, 1u);
        EXPECT_EQ(s->recovery().corrupt, 0u);
        ASSERT_EQ(s->list().size(), 1u);
        EXPECT_EQ(s->list()[0].id, kept.id);
        ASSERT_FALSE(store_sync(*s, later, "later\r\n"));
    }
    // The next run wrote to a new segment: both messages come back whole,
    // and the torn tail, cut off, is not reported again.
    EXPECT_TRUE(fs::exists(dir.path() / "log" / "0000000000000002.seg"));
    {
        auto s = open_ok(dir.path());
        EXPECT_EQ(s->list().size(), 2u);
        EXPECT_EQ(s->recovery().torn, 0u);
        std::string body;
        ASSERT_FALSE(s->read_message(later.id, body));
        EXPECT_EQ(body, "later\r\n");
    }
    // Damage inside a segment that is not the newest is no crash: the
    // segment is kept in corrupt/ for a human.
    {
        std::fstream f(first, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(static_cast<std::streamoff>(segment::kMagic.size() + 20));
        f.put('#');
    }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().torn, 1u);
    EXPECT_EQ(s->recovery().corrupt, 1u);
    EXPECT_TRUE(fs::exists(dir.path() / "corrupt" / "0000000000000001.seg"));
    EXPECT_FALSE(s->get(kept.id));
    EXPECT_TRUE(s->get(later.id));
}

TEST(Spool, UnreadableFilesAndRecordsAreSetAsideNotFatal) {
    TestDir dir;
    fs::create_directories(dir.path() / "log");
    write(dir.path() / "log" / "README", "not a segment");
    write(dir.path() / "log" / "0000000000000007.seg", "HOLDFAST-QUEUE 1\n{}\n");
    // A whole record (right CRC) whose envelope does not parse, between two good ones.
    Envelope good1 = envelope(), good2 = envelope();
    std::string seg(segment::kMagic);
    for (const Envelope* e : {&good1, &good2}) {
        Envelope sized = *e;
        sized.size = 3;
        segment::append_record(seg, segment::RecordType::message,
                               record::envelope_json(sized) + "\n", "abc");
        if (e == &good1) segment::append_record(seg, segment::RecordType::message, "{not json}\nx");
    }
    write(dir.path() / "log" / "0000000000000008.seg", seg);

    auto s = open_ok(dir.path());
    EXPECT_EQ(s->list().size(), 2u);
    EXPECT_TRUE(s->get(good1.id));
    EXPECT_TRUE(s->get(good2.id));
    EXPECT_EQ(s->recovery().corrupt, 3u);
    EXPECT_EQ(count(dir.path() / "corrupt"), 3u);
    EXPECT_FALSE(fs::exists(dir.path() / "log" / "README"));
    EXPECT_FALSE(fs::exists(dir.path() / "log" / "0000000000000007.seg"));
    EXPECT_TRUE(fs::exists(dir.path() / "log" / "0000000000000008.seg"));  // still in use
    // New segments are numbered after the highest one seen.
    ASSERT_FALSE(store_sync(*s, envelope(), "m"));
    EXPECT_TRUE(fs::exists(dir.path() / "log" / "0000000000000009.seg"));
}

TEST(Spool, SegmentsAreRetiredOnlyWhenNothingNeedsThem) {
    TestDir dir;
    auto seg = [&](int n) { return segment_file(dir.path(), n); };
    const std::string big(17 * 1024 * 1024, 'b');  // closes its segment
    Envelope a = envelope(), big1 = envelope(), b = envelope(), big2 = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, a, "a"));
        ASSERT_FALSE(store_sync(*s, big1, big));  // segment 1: a, big1
        ASSERT_FALSE(store_sync(*s, b, "b"));     // segment 2 ...
        ASSERT_FALSE(s->remove(a.id));            // ... with a's D record
        ASSERT_FALSE(s->remove(b.id));
        ASSERT_FALSE(store_sync(*s, big2, big));
        ASSERT_FALSE(s->remove(big2.id));  // segment 3: big2's D record
        ASSERT_FALSE(store_sync(*s, envelope(), "c"));
        // Segment 2 holds no queued message, but its D record keeps `a` dead
        // while segment 1 (a's M record, still needed for big1) exists.
        EXPECT_TRUE(fs::exists(seg(1)));
        EXPECT_TRUE(fs::exists(seg(2)));
    }
    {
        auto s = open_ok(dir.path());
        EXPECT_FALSE(s->get(a.id));
        EXPECT_FALSE(s->get(b.id));
        EXPECT_FALSE(s->get(big2.id));
        EXPECT_EQ(s->list().size(), 2u);
        EXPECT_TRUE(fs::exists(seg(2)));
        ASSERT_FALSE(s->remove(big1.id));
        ASSERT_FALSE(store_sync(*s, envelope(), "d"));  // flushes the D record
        // Segments are retired after the callbacks of the batch that freed
        // them, before the writer takes its next batch.
        ASSERT_FALSE(store_sync(*s, envelope(), "e"));
        // Segment 1 is free, and then segment 2 too.
        EXPECT_FALSE(fs::exists(seg(1)));
        EXPECT_FALSE(fs::exists(seg(2)));
    }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->list().size(), 3u);
    EXPECT_FALSE(s->get(a.id));
    EXPECT_FALSE(s->get(big1.id));
}

TEST(Spool, TheNextSegmentIsMadeFullOfZerosAheadAndItsEmptyRestIsNoDamage) {
    TestDir dir;
    auto seg = [&](int n) { return segment_file(dir.path(), n); };
    const std::string half(segment::kTargetSize / 2 + 1024, 'h');
    Envelope a = envelope(), b = envelope(), c = envelope(), d = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, a, half));  // segment 1, now half full
        // The writer makes segment 2 after that batch, before it takes this one.
        ASSERT_FALSE(store_sync(*s, b, "b"));
        ASSERT_TRUE(fs::exists(seg(2)));
        EXPECT_EQ(fs::file_size(seg(2)), segment::kTargetSize);
    }
    // Not used by the time the spool closed: removed with it.
    EXPECT_FALSE(fs::exists(seg(2)));
    {
        auto s = open_ok(dir.path());
        EXPECT_EQ(s->recovery().torn, 0u);
        ASSERT_FALSE(store_sync(*s, c, half));          // segment 2 (this run's first), half full
        ASSERT_FALSE(store_sync(*s, envelope(), "x"));  // segment 3 is made before this batch
        ASSERT_TRUE(fs::exists(seg(3)));
        ASSERT_FALSE(store_sync(*s, d, half));          // closes segment 2
        ASSERT_FALSE(store_sync(*s, envelope(), "e"));  // into segment 3, over its zeros
        EXPECT_EQ(fs::file_size(seg(3)), segment::kTargetSize);
        EXPECT_FALSE(fs::exists(seg(4)));
    }
    {
        auto s = open_ok(dir.path());
        EXPECT_EQ(s->recovery().torn, 0u);
        EXPECT_EQ(s->recovery().corrupt, 0u);
        EXPECT_EQ(s->list().size(), 6u);
        std::string body;
        ASSERT_FALSE(s->read_message(d.id, body));
        EXPECT_EQ(body, half);
    }
    EXPECT_EQ(count(dir.path() / "corrupt"), 0u);
    // A crash while writing to segment 3, after the writer had made segment
    // 4: the torn record is in the zeros of 3, and 4 holds only zeros. That
    // is a crash's torn write (warned), not damage, though 3 is not the
    // newest file.
    std::uint64_t end_of_records = 0;
    {
        std::ifstream in(seg(3), std::ios::binary);
        std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        segment::Reader r(data);
        while (auto rec = r.next()) end_of_records = rec->payload_offset + rec->payload.size();
    }
    std::string torn;
    segment::append_record(torn, segment::RecordType::done, "NEVER-ACKNOWLEDGED");
    torn.resize(torn.size() / 2);
    {
        std::fstream f(seg(3), std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(static_cast<std::streamoff>(end_of_records));
        f << torn;
    }
    // (Cut short: the crash came while the writer was still making it.)
    write(seg(4), std::string(segment::kMagic) + std::string(3 * 1024 * 1024, '\0'));
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().torn, 1u);
    EXPECT_EQ(s->recovery().corrupt, 0u);
    EXPECT_EQ(s->list().size(), 6u);
    EXPECT_EQ(count(dir.path() / "corrupt"), 0u);
    EXPECT_EQ(fs::file_size(seg(3)), end_of_records);  // cut after its last record
    EXPECT_FALSE(fs::exists(seg(4)));                  // nothing in it: retired
}

TEST(Spool, TheDaemonsFirstSegmentIsMadeAtOpen) {
    TestDir dir;
    const fs::path first = dir.path() / "log" / "0000000000000001.seg";
    Envelope a = envelope();
    {
        std::error_code ec;
        auto s = Spool::open(dir.path(), ec, {.first_segment_ahead = true});
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_EQ(fs::file_size(first), segment::kTargetSize);
        ASSERT_FALSE(store_sync(*s, a, "a\r\n"));
        EXPECT_EQ(fs::file_size(first), segment::kTargetSize);  // written over its zeros
        EXPECT_FALSE(fs::exists(dir.path() / "log" / "0000000000000002.seg"));
    }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().torn, 0u);
    std::string body;
    ASSERT_FALSE(s->read_message(a.id, body));
    EXPECT_EQ(body, "a\r\n");
}

TEST(Spool, ZerosAfterTheRecordsOfAPlainSegmentAreATornTail) {
    // Only a segment made ahead (exactly 16 MiB) ends in zeros by design;
    // in a plain one they are a tail the disk lost or never got.
    TestDir dir;
    const fs::path first = dir.path() / "log" / "0000000000000001.seg";
    Envelope a = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_sync(*s, a, "a\r\n"));
    }
    const auto size = fs::file_size(first);
    { std::ofstream(first, std::ios::binary | std::ios::app) << std::string(100, '\0'); }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().torn, 1u);
    EXPECT_EQ(s->recovery().corrupt, 0u);  // the newest segment, short: a crash's tail
    EXPECT_EQ(fs::file_size(first), size);
    EXPECT_TRUE(s->get(a.id));
}
