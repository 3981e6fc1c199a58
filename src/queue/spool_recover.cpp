// Spool recovery, run once by Spool::open before anything else touches the
// spool (the lock guarantees that): the segments are read in order into the
// index. The rules are in docs/queue-format.md, "Recovery".
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "mail/queue_id.hpp"
#include "queue/record.hpp"
#include "queue/segment.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;
using segment::RecordType;

namespace {

// A segment mapped read-only for the time it is read: parsed in place, with
// no copy into the heap.
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

std::chrono::system_clock::time_point from_us(std::int64_t us) {
    return std::chrono::system_clock::time_point(std::chrono::microseconds(us));
}

// "0000000000000001.seg" -> 1; nullopt for any other name (and for numbers
// past 2^32: the index keeps segment numbers in 32 bits, and this spool
// writes them from 1 up, one per 16 MiB).
std::optional<std::uint64_t> segment_seq(const std::string& name) {
    if (name.size() != 20 || name.substr(16) != ".seg") return std::nullopt;
    std::uint64_t seq = 0;
    for (char c : name.substr(0, 16)) {
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return std::nullopt;
        seq = seq * 16 + static_cast<std::uint64_t>(d);
    }
    if (seq == 0 || seq > UINT32_MAX) return std::nullopt;
    return seq;
}

// A crash leaves at most the batch being written torn at the end of the
// newest segment; a longer unreadable tail is kept in corrupt/.
constexpr std::uint64_t kCrashTail = 1024 * 1024;

std::error_code truncate_to(const fs::path& path, std::uint64_t size) {
    posix::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return posix::last_error();
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0 || ::fsync(fd.get()) != 0) {
        return posix::last_error();
    }
    return {};
}

}  // namespace

bool Spool::body_present(const std::string& id, std::uint64_t size,
                         std::uint64_t head_in_record) const {
    struct stat st {};
    return ::stat((body_dir() / id).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           static_cast<std::uint64_t>(st.st_size) + head_in_record == size;
}

std::error_code Spool::recover() {
    std::error_code ec;
    std::vector<std::uint64_t> seqs;
    for (fs::directory_iterator it(log_dir(), ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (auto seq = segment_seq(name)) {
            seqs.push_back(*seq);
        } else {
            move_to_corrupt(it->path(), "not a segment name");
        }
    }
    if (ec) return ec;
    std::sort(seqs.begin(), seqs.end());

    for (std::uint64_t seq : seqs) {
        const fs::path path = segment_path(seq);
        next_seq_ = seq + 1;
        auto seg = std::make_shared<Segment>();
        seg->seq = seq;
        seg->fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!seg->fd) return posix::last_error();
        Mapping data;
        if ((ec = data.map(seg->fd.get()))) return ec;
        seg->size = data.view().size();
        segment::Reader reader(data.view());
        if (!reader.has_magic()) {
            // Not ours, or from a version we do not know: keep it for a human.
            move_to_corrupt(path, "no HOLDFAST-LOG 2 magic");
            continue;
        }
        ++recovery_.segments;
        segments_[seq] = seg;
        bool copied = false;
        auto bad_record = [&](const char* what, std::string_view id) {
            spdlog::error("spool: {}: {} record for id={} does not parse; skipped", path.string(),
                          what, id);
            if (!copied) copy_to_corrupt(path, "a record does not parse");
            copied = true;
        };
        while (auto rec = reader.next()) {
            switch (rec->type) {
                case RecordType::message: {
                    auto nl = rec->payload.find('\n');
                    Envelope env;
                    if (nl == std::string_view::npos ||
                        record::parse_envelope_json(rec->payload.substr(0, nl), env) ||
                        !mail::is_valid_queue_id(env.id) ||
                        (env.body_file ? rec->payload.size() - nl - 1 > env.size
                                       : rec->payload.size() - nl - 1 != env.size)) {
                        bad_record("message", "?");
                        break;
                    }
                    if (index_.count(std::string_view(env.id))) break;  // the first one counts
                    Entry e;
                    summarize(e, env, true);
                    e.msg_seg = static_cast<std::uint32_t>(seq);
                    e.json_length = static_cast<std::uint32_t>(nl);
                    e.body_offset = static_cast<std::uint32_t>(rec->payload_offset + nl + 1);
                    if (env.body_file)
                        e.head_in_record = static_cast<std::uint32_t>(rec->payload.size() - nl - 1);
                    index_.emplace(Key(env.id), e);
                    break;
                }
                case RecordType::state: {
                    auto parts = segment::split_id(rec->payload);
                    if (!parts) {
                        bad_record("state", "?");
                        break;
                    }
                    auto it = index_.find(parts->id);
                    if (it == index_.end()) break;  // finished before: nothing to apply to
                    record::State state;
                    if (record::parse_state_json(parts->rest, state) ||
                        state.recipients.size() != it->second.recipients ||
                        addresses_hash(state.recipients) != it->second.addresses_hash) {
                        bad_record("state", parts->id);  // the older state stays
                        break;
                    }
                    Entry& e = it->second;
                    Envelope env;  // what the summary needs of the new state
                    env.recipients = std::move(state.recipients);
                    env.arrival = from_us(e.arrival_us);
                    env.size = e.size;
                    env.body_file = e.body_file;
                    env.next_attempt = state.next_attempt;
                    env.warned = state.warned;
                    env.held = state.held;
                    env.attempts = state.attempts;
                    summarize(e, env, false);
                    e.state_seg = e.state_ref_seg = static_cast<std::uint32_t>(seq);
                    e.state_offset =
                        static_cast<std::uint32_t>(rec->payload_offset + parts->id.size() + 1);
                    e.state_length = static_cast<std::uint32_t>(parts->rest.size());
                    break;
                }
                case RecordType::done: {
                    auto it = index_.find(rec->payload);
                    if (it == index_.end()) break;
                    if (it->second.msg_seg != seq) seg->done_for.insert(it->second.msg_seg);
                    drop(it);
                    break;
                }
            }
        }
        if (reader.unread() > 0) {
            ++recovery_.torn;
            const std::uint64_t good = seg->size - reader.unread();
            if (seq == seqs.back() && reader.unread() < kCrashTail) {
                spdlog::warn(
                    "spool: {}: the last {} octets are not a whole record (a write cut "
                    "short by a crash; nothing in them was acknowledged)",
                    path.string(), reader.unread());
            } else {
                // Not where a crash leaves a torn write: damage (or a bug).
                // Whatever follows it cannot be read, but a human may save it.
                spdlog::error("spool: {}: {} octets after offset {} are not whole records",
                              path.string(), reader.unread(), good);
                copy_to_corrupt(path, "unreadable records");
            }
            // Cut off, so that a later recovery does not report it again.
            if ((ec = truncate_to(path, good))) return ec;
            seg->size = good;
        }
    }
    // A queued message's body file was fdatasync'd before its M record was
    // written; one that is missing now was lost by a human or a failing
    // disk. (A finished message's file is removed after its D record is
    // durable, so only messages still queued are checked.)
    for (auto it = index_.begin(); it != index_.end();) {
        auto next = std::next(it);
        const std::string id(it->first.view());
        if (it->second.body_file && !body_present(id, it->second.size, it->second.head_in_record)) {
            spdlog::error("spool: body file of id={} is missing or short; the message is dropped",
                          id);
            ++recovery_.corrupt;
            drop(it);
        }
        it = next;
    }
    for (const auto& [id, e] : index_) {
        segments_[e.msg_seg]->refs++;
        if (e.state_ref_seg) segments_[e.state_ref_seg]->refs++;
    }

    // A crash between a message's last outcome and its D record: write the
    // D record now.
    std::vector<Op> finished;
    for (auto& [id, e] : index_) {
        if (!destinations_.get(e.pending).empty()) continue;
        e.removed = true;
        finished.push_back(make_done(std::string(id.view()), e.body_file));
    }
    recovery_.finished = finished.size();
    if (!finished.empty()) append_and_commit(finished);

    if ((ec = import_v1())) return ec;
    retire_segments();
    sweep_bodies();
    recovery_.loaded = index_.size();
    spdlog::info("spool: dir={} messages={} segments={} torn={} corrupt={} finished={} imported={}",
                 dir_.string(), recovery_.loaded, recovery_.segments, recovery_.torn,
                 recovery_.corrupt, recovery_.finished, recovery_.imported);
    return {};
}

}  // namespace holdfast::queue
