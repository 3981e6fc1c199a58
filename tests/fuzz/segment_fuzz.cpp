// Any bytes as a spool segment, and as the records in one: recovery's
// reader must not crash, read out of bounds or loop, and the envelope and
// state decoders must take any payload a whole record can carry.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "queue/envelope.hpp"
#include "queue/record.hpp"
#include "queue/segment.hpp"

using namespace holdfast::queue;

namespace {

// Reads a whole segment; every record must lie inside it, in order.
void read_all(const std::string& seg) {
    segment::Reader r(seg);
    std::uint64_t last_end = 0;
    while (auto rec = r.next()) {
        const std::uint64_t end = rec->payload_offset + rec->payload.size();
        if (rec->payload_offset < last_end + segment::kRecordHeader || end > seg.size()) {
            __builtin_trap();
        }
        if (rec->payload.data() != seg.data() + rec->payload_offset) __builtin_trap();
        last_end = end;
        switch (rec->type) {
            case segment::RecordType::message: {
                Envelope env;
                auto nl = rec->payload.find('\n');
                (void)record::parse_envelope_json(rec->payload.substr(0, nl), env);
                break;
            }
            case segment::RecordType::state: {
                Envelope env;
                env.recipients.push_back(
                    {"a@example.test", RecipientKind::backup, RecipientState::pending, "", {}, ""});
                if (auto parts = segment::split_id(rec->payload)) {
                    (void)record::apply_state_json(parts->rest, env);
                    if (env.recipients.size() != 1) __builtin_trap();  // never changes the set
                }
                break;
            }
            case segment::RecordType::done:
                break;
        }
    }
    if (r.unread() > seg.size()) __builtin_trap();
    // The torn or damaged part is within what was not read, and ends on an
    // octet that is not zero.
    const std::uint64_t damaged = r.damaged();
    if (damaged > r.unread()) __builtin_trap();
    if (damaged > 0 && seg[seg.size() - r.unread() + damaged - 1] == '\0') __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // 1. The bytes as a segment file, as found on disk.
    read_all(std::string(bytes));
    read_all(std::string(segment::kMagic) + std::string(bytes));
    read_all(std::string(segment::kMagic) + std::string(bytes) + std::string(100, '\0'));
    // 2. The bytes as payloads of whole records (a fuzzer cannot forge the
    //    CRC): split at 0xff, the first octet of each part picks the type.
    std::string seg(segment::kMagic);
    std::size_t start = 0;
    while (start <= bytes.size()) {
        std::size_t end = bytes.find('\xff', start);
        if (end == std::string_view::npos) end = bytes.size();
        std::string_view part = bytes.substr(start, end - start);
        if (!part.empty()) {
            static constexpr segment::RecordType kTypes[] = {segment::RecordType::message,
                                                             segment::RecordType::state,
                                                             segment::RecordType::done};
            segment::append_record(seg, kTypes[static_cast<unsigned char>(part[0]) % 3],
                                   part.substr(1));
        }
        start = end + 1;
    }
    read_all(seg);
    return 0;
}
