#include "queue/segment_scan.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include "mail/queue_id.hpp"
#include "queue/destination_sets.hpp"
#include "queue/record.hpp"

namespace holdfast::queue {

namespace {

using segment::RecordType;

// A segment mapped read-only for the time it is scanned: parsed in place,
// with no copy into the heap.
class Mapping {
  public:
    Mapping() = default;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() {
        if (size_) ::munmap(addr_, size_);
    }
    std::error_code map(int fd) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return posix::last_error();
        if (st.st_size == 0) return {};
        void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ,
                         MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) return posix::last_error();
        addr_ = p;
        size_ = static_cast<std::size_t>(st.st_size);
        return {};
    }
    std::string_view view() const { return {static_cast<const char*>(addr_), size_}; }

  private:
    void* addr_ = nullptr;
    std::size_t size_ = 0;
};

std::int64_t to_us(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// An M record: "envelope JSON\nmessage bytes".
void scan_message(const segment::Record& rec, ScannedRecord& out) {
    auto nl = rec.payload.find('\n');
    Envelope env;
    if (nl == std::string_view::npos ||
        record::parse_envelope_json(rec.payload.substr(0, nl), env) ||
        !mail::is_valid_queue_id(env.id)) {
        return;
    }
    const std::size_t in_record = rec.payload.size() - nl - 1;
    if (env.body_file ? in_record > env.size : in_record != env.size) return;
    out.parsed = true;
    out.id = std::move(env.id);
    out.arrival_us = to_us(env.arrival);
    out.size = env.size;
    out.body_file = env.body_file;
    out.json_length = static_cast<std::uint32_t>(nl);
    out.body_offset = static_cast<std::uint32_t>(rec.payload_offset + nl + 1);
    out.addresses_hash = addresses_hash(env.recipients);
    out.destinations = DestinationSets::key_of(env.recipients);
}

// An S record: "ID\nstate JSON".
void scan_state(const segment::Record& rec, ScannedRecord& out) {
    auto parts = segment::split_id(rec.payload);
    if (!parts) return;
    out.id = std::string(parts->id);
    record::State state;
    if (record::parse_state_json(parts->rest, state)) return;
    out.parsed = true;
    out.next_attempt_us = to_us(state.next_attempt);
    out.attempts = state.attempts;
    out.held = state.held;
    out.warned = state.warned;
    out.addresses_hash = addresses_hash(state.recipients);
    out.destinations = DestinationSets::key_of(state.recipients);
    out.state_offset = static_cast<std::uint32_t>(rec.payload_offset + parts->id.size() + 1);
    out.state_length = static_cast<std::uint32_t>(parts->rest.size());
}

}  // namespace

ScannedSegment scan_segment(const std::filesystem::path& path) {
    ScannedSegment out;
    out.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!out.fd) {
        out.ec = posix::last_error();
        return out;
    }
    Mapping data;
    if ((out.ec = data.map(out.fd.get()))) return out;
    out.size = data.view().size();
    segment::Reader reader(data.view());
    out.magic = reader.has_magic();
    if (!out.magic) return out;
    while (auto rec = reader.next()) {
        ScannedRecord& r = out.records.emplace_back();
        r.type = rec->type;
        switch (rec->type) {
            case RecordType::message:
                scan_message(*rec, r);
                break;
            case RecordType::state:
                scan_state(*rec, r);
                break;
            case RecordType::done:
                r.id = std::string(rec->payload);
                r.parsed = true;
                break;
        }
    }
    out.unread = reader.unread();
    out.damaged = reader.damaged();
    return out;
}

std::uint32_t addresses_hash(const std::vector<Recipient>& recipients) {
    std::uint32_t h = 2166136261u;
    for (const auto& r : recipients) {
        for (unsigned char c : r.address) h = (h ^ c) * 16777619u;
        h = (h ^ '\n') * 16777619u;
    }
    return h;
}

}  // namespace holdfast::queue
