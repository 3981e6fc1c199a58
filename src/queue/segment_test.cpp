#include "queue/segment.hpp"

#include <gtest/gtest.h>

using namespace holdfast::queue::segment;

namespace {

std::string three_records() {
    std::string s(kMagic);
    append_record(s, RecordType::message, "{\"id\":\"X\"}\n", "body\r\n");
    append_record(s, RecordType::state, "X\n{}");
    append_record(s, RecordType::done, "X");
    return s;
}

std::size_t count_records(std::string_view data) {
    Reader r(data);
    std::size_t n = 0;
    while (r.next()) ++n;
    return n;
}

}  // namespace

TEST(Segment, FramingIsTheDocumentedOne) {
    // Length and CRC little-endian; the CRC is zlib's over type + payload
    // (python3 -c 'import zlib; print(hex(zlib.crc32(b"Mhello")))' = 0xf236e98a),
    // so that other tools (bench/) can write and read segments.
    std::string s;
    append_record(s, RecordType::message, "hel", "lo");
    EXPECT_EQ(s, std::string("\x05\x00\x00\x00\x8a\xe9\x36\xf2Mhello", 14));
}

TEST(Segment, RecordsRoundTripWithTheirOffsets) {
    std::string s = three_records();
    Reader r(s);
    ASSERT_TRUE(r.has_magic());
    auto m = r.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, RecordType::message);
    EXPECT_EQ(m->payload, "{\"id\":\"X\"}\nbody\r\n");
    EXPECT_EQ(s.substr(m->payload_offset, m->payload.size()), m->payload);
    auto st = r.next();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->type, RecordType::state);
    auto parts = split_id(st->payload);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->id, "X");
    EXPECT_EQ(parts->rest, "{}");
    auto d = r.next();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, RecordType::done);
    EXPECT_EQ(d->payload, "X");
    EXPECT_FALSE(r.next());
    EXPECT_EQ(r.unread(), 0u);
    EXPECT_FALSE(split_id("no newline"));
}

TEST(Segment, EveryCutShortTailIsSkippedNeverMisread) {
    // A crash can stop a write after any octet: the reader must return the
    // records wholly before the cut and nothing else.
    const std::string s = three_records();
    std::vector<std::size_t> ends;
    {
        Reader r(s);
        while (auto rec = r.next()) ends.push_back(rec->payload_offset + rec->payload.size());
    }
    ASSERT_EQ(ends.size(), 3u);
    for (std::size_t cut = kMagic.size(); cut <= s.size(); ++cut) {
        std::size_t whole = 0;
        for (auto e : ends) whole += e <= cut ? 1 : 0;
        Reader r(std::string_view(s).substr(0, cut));
        std::size_t n = 0;
        while (r.next()) ++n;
        EXPECT_EQ(n, whole) << "cut at " << cut;
        EXPECT_EQ(r.unread(), cut - (whole ? ends[whole - 1] : kMagic.size())) << "cut at " << cut;
    }
}

TEST(Segment, DamageStopsTheReadingThere) {
    const std::string s = three_records();
    // Any flipped octet after the magic stops reading at or before its record.
    for (std::size_t i = kMagic.size(); i < s.size(); ++i) {
        std::string damaged = s;
        damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
        EXPECT_LT(count_records(damaged), 3u) << "flipped octet " << i;
    }
    std::string bad_type = s;
    bad_type[kMagic.size() + 8] = 'Z';
    EXPECT_EQ(count_records(bad_type), 0u);
    std::string huge = s;
    huge[kMagic.size() + 3] = '\x7f';  // length far beyond kMaxPayload
    EXPECT_EQ(count_records(huge), 0u);
}

TEST(Segment, MagicIsCheckedAndACutShortOneIsAnEmptySegment) {
    EXPECT_FALSE(Reader("HOLDFAST-LOG 1\n").has_magic());
    EXPECT_FALSE(Reader("HOLDFAST-QUEUE 1\n{}").has_magic());
    EXPECT_FALSE(Reader("garbage").has_magic());
    EXPECT_EQ(count_records("garbage that is long enough to hold a record"), 0u);
    for (std::size_t n = 0; n <= kMagic.size(); ++n) {
        Reader r(kMagic.substr(0, n));
        EXPECT_TRUE(r.has_magic()) << n;
        EXPECT_FALSE(r.next());
        EXPECT_EQ(r.unread(), 0u);
    }
}

TEST(Segment, ZerosAfterTheLastRecordAreNotDamage) {
    // A segment is made full of zeros and its records overwrite them: what
    // follows the last record is zeros up to the end of the file.
    const std::string s = three_records();
    std::string made = s + std::string(10000, '\0');
    Reader r(made);
    EXPECT_EQ(count_records(made), 3u);
    while (r.next()) {
    }
    EXPECT_EQ(r.unread(), 10000u);
    EXPECT_EQ(r.damaged(), 0u);
    // A record cut short by a crash, then the zeros: the torn octets count.
    std::string torn = s;
    append_record(torn, RecordType::done, "NEXT");
    torn.resize(torn.size() - 2);
    const std::size_t torn_octets = torn.size() - s.size();
    torn += std::string(5000, '\0');
    Reader t(torn);
    while (t.next()) {
    }
    EXPECT_EQ(t.unread(), torn_octets + 5000);
    EXPECT_EQ(t.damaged(), torn_octets);
    // Zeros in the middle, records after them: damage up to the last of those.
    std::string hole(kMagic);
    hole += std::string(300, '\0');
    hole += s.substr(kMagic.size());
    Reader h(hole);
    EXPECT_FALSE(h.next());
    EXPECT_EQ(h.damaged(), hole.size() - kMagic.size());
    // Nothing after the records: nothing damaged either.
    Reader clean(s);
    while (clean.next()) {
    }
    EXPECT_EQ(clean.damaged(), 0u);
}
