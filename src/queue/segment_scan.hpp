#pragma once
// One segment read for recovery, on any thread: its records checked (length
// and CRC) and parsed, in file order, nothing applied yet. Spool::recover
// scans the next segments on other threads while it applies this one's
// records to the index (spool_recover.cpp): the CRCs and the JSON of a
// million queued messages are most of a start-up's work.
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "queue/envelope.hpp"
#include "queue/posix.hpp"
#include "queue/segment.hpp"

namespace holdfast::queue {

// What recovery keeps of one record. Offsets are from the segment's start.
struct ScannedRecord {
    segment::RecordType type = segment::RecordType::done;
    bool parsed = false;  // false: a whole record whose payload does not parse
    std::string id;       // "" when it could not be read
    // M and S: the message's (new) state, as Spool's index keeps it.
    std::int64_t next_attempt_us = 0;
    unsigned attempts = 0;
    bool held = false;
    bool warned = false;
    std::uint32_t addresses_hash = 0;  // addresses_hash()
    std::string destinations;          // DestinationSets::key_of the pending recipients
    // M: the envelope's fixed part, and where the record's parts are.
    std::int64_t arrival_us = 0;
    std::uint64_t size = 0;
    bool body_file = false;
    std::uint32_t json_length = 0;
    std::uint32_t body_offset = 0;
    // S: where the state JSON is.
    std::uint32_t state_offset = 0;
    std::uint32_t state_length = 0;
};

struct ScannedSegment {
    std::error_code ec;  // it could not be opened or read: nothing else is set
    posix::UniqueFd fd;  // open read-only
    std::uint64_t size = 0;
    bool magic = false;  // false: not a segment of this format; no records
    std::vector<ScannedRecord> records;
    std::uint64_t unread = 0;  // octets after the last whole record
    // Of those, up to the last one that is not zero: a torn tail or damage
    // (0: only zeros follow, as in a segment made ahead; recovery decides).
    std::uint64_t damaged = 0;
};

ScannedSegment scan_segment(const std::filesystem::path& path);

// FNV-1a over the recipients' addresses in order, each ended by a newline
// (so their number counts too): an S record must name the same recipients
// as its M record, which recovery checks without keeping the addresses
// (record::apply_state checks them in full when both are read).
std::uint32_t addresses_hash(const std::vector<Recipient>& recipients);

}  // namespace holdfast::queue
