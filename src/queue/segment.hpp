#pragma once
// The spool's segment files (docs/queue-format.md, "Segment file"): how a
// record is framed on disk and how a segment's bytes are read back. Pure
// functions over bytes, no I/O, so that recovery's reader can be unit-tested
// and fuzzed on its own.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::queue::segment {

// First octets of every segment; the number is the spool format version.
inline constexpr std::string_view kMagic = "HOLDFAST-LOG 2\n";
// length (u32 LE) + crc (u32 LE) + type (1 octet).
inline constexpr std::size_t kRecordHeader = 9;
// A segment is closed once it holds this much (smaller segments are retired
// sooner, larger ones cost fewer file creations). The daemon makes each one
// this long, full of zeros, before records go in (Spool: "made ahead").
inline constexpr std::uint64_t kTargetSize = 16 * 1024 * 1024;
// No message comes near this; a larger length is damage, not a record.
inline constexpr std::uint32_t kMaxPayload = 1u << 30;

enum class RecordType : char {
    message = 'M',  // envelope JSON, '\n', message bytes
    state = 'S',    // queue id, '\n', state JSON
    done = 'D',     // queue id
};

// Appends one framed record whose payload is a followed by b (two parts, so
// that a message's bytes are not copied into a temporary first).
void append_record(std::string& out, RecordType type, std::string_view a, std::string_view b = {});

struct Record {
    RecordType type;
    std::string_view payload;
    std::uint64_t payload_offset;  // from the start of the segment
};

// The payload length a record's header gives (its first 4 octets, at least
// that many in `header`).
std::uint32_t payload_length(std::string_view header);

// Walks the records of one whole segment (its bytes, magic included).
class Reader {
  public:
    explicit Reader(std::string_view data);
    // False when the data does not start with kMagic. A file shorter than
    // the magic whose octets are a prefix of it counts as an empty segment
    // cut short by a crash right after it was created (see torn()).
    bool has_magic() const { return magic_ok_; }
    // The next whole record, or nullopt at the end of the data or at the
    // first record that is not whole (short, or CRC mismatch) or has an
    // unknown type; reading never resumes after that.
    std::optional<Record> next();
    // Octets after the last whole record read: 0 when the segment ended
    // cleanly. Meaningful once next() returned nullopt.
    std::uint64_t unread() const { return data_.size() - pos_; }
    // The part of unread() up to its last octet that is not zero: 0 when
    // all that follows the last whole record is zeros, the unused end of a
    // segment written full of zeros when it was made (the spool's writer
    // does, so that an append's fdatasync need not commit ext4's journal).
    std::uint64_t damaged() const;

  private:
    std::string_view data_;
    std::size_t pos_ = 0;
    bool magic_ok_ = false;
};

// Splits "ID\nREST" payloads (state records); nullopt without a newline.
struct IdAndRest {
    std::string_view id;
    std::string_view rest;
};
std::optional<IdAndRest> split_id(std::string_view payload);

}  // namespace holdfast::queue::segment
