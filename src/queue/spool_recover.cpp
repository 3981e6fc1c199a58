// Spool recovery, run once by Spool::open before anything else touches the
// spool (the lock guarantees that): the segments are read in order into the
// index. The rules are in docs/queue-format.md, "Recovery".
#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

#include "queue/segment.hpp"
#include "queue/segment_scan.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;
using segment::RecordType;

namespace {

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

bool Spool::body_present(const std::string& id, const Entry& e) const {
    std::uint64_t head = 0;
    struct stat st {};
    return !head_in_record(e, head) && ::stat((body_dir() / id).c_str(), &st) == 0 &&
           S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) + head == e.size;
}

// One scanned segment's records, in order, into the index (recovery's rule
// 2 in docs/queue-format.md).
void Spool::apply(const ScannedSegment& scanned, Segment& seg, const fs::path& path) {
    bool copied = false;
    auto bad_record = [&](const char* what, std::string_view id) {
        spdlog::error("spool: {}: {} record for id={} does not parse; skipped", path.string(), what,
                      id.empty() ? "?" : id);
        if (!copied) copy_to_corrupt(path, "a record does not parse");
        copied = true;
    };
    const auto seq = static_cast<std::uint32_t>(seg.seq);
    for (const ScannedRecord& r : scanned.records) {
        switch (r.type) {
            case RecordType::message: {
                if (!r.parsed) {
                    bad_record("message", "");
                    break;
                }
                // Ids arrive in ascending order (they begin with the arrival
                // time): appended at the end without a search, then.
                const bool last = index_.empty() || index_.rbegin()->first.view() < r.id;
                if (!last && index_.count(std::string_view(r.id))) break;  // the first one counts
                Entry e;
                e.pending = destinations_.intern_key(r.destinations);
                e.arrival_us = r.arrival_us;
                e.size = r.size;
                e.body_file = r.body_file;
                e.addresses_hash = r.addresses_hash;
                e.msg_seg = seq;
                e.json_length = r.json_length;
                e.body_offset = r.body_offset;
                if (last) {
                    index_.emplace_hint(index_.end(), Key(r.id), e);
                } else {
                    index_.emplace(Key(r.id), e);
                }
                break;
            }
            case RecordType::state: {
                if (r.id.empty()) {  // not even "ID\n"
                    bad_record("state", "");
                    break;
                }
                auto it = index_.find(std::string_view(r.id));
                if (it == index_.end()) break;  // finished before: nothing to apply to
                if (!r.parsed || r.addresses_hash != it->second.addresses_hash) {
                    bad_record("state", r.id);  // the older state stays
                    break;
                }
                Entry& e = it->second;
                const auto pending = destinations_.intern_key(r.destinations);
                destinations_.release(e.pending);
                e.pending = pending;
                e.next_attempt_us = r.next_attempt_us;
                e.attempts = Entry::capped_attempts(r.attempts);
                e.held = r.held;
                e.warned = r.warned;
                e.state_seg = e.state_ref_seg = seq;
                e.state_offset = r.state_offset;
                e.state_length = r.state_length;
                break;
            }
            case RecordType::done: {
                auto it = index_.find(std::string_view(r.id));
                if (it == index_.end()) break;
                if (it->second.msg_seg != seg.seq) seg.done_for.insert(it->second.msg_seg);
                drop(it);
                break;
            }
        }
    }
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

    // The next segments are scanned (read, CRCs checked, JSON parsed) on
    // other threads while this one applies each to the index in order.
    const std::size_t ahead_limit = std::max(2u, std::thread::hardware_concurrency());
    std::deque<std::future<ScannedSegment>> ahead;
    struct TornTail {
        std::uint64_t seq;
        std::uint64_t good;     // octets up to the end of its last whole record
        std::uint64_t damaged;  // the unreadable octets (up to the zeros of one made ahead)
    };
    std::vector<TornTail> torn;
    std::uint64_t last_written = 0;  // the newest segment with anything in it
    std::size_t launched = 0;
    for (std::uint64_t seq : seqs) {
        while (launched < seqs.size() && ahead.size() < ahead_limit) {
            ahead.push_back(
                std::async(std::launch::async, scan_segment, segment_path(seqs[launched++])));
        }
        ScannedSegment scanned = ahead.front().get();
        ahead.pop_front();
        if (scanned.ec) return scanned.ec;
        const fs::path path = segment_path(seq);
        next_seq_ = seq + 1;
        if (!scanned.magic) {
            // Not ours, or from a version we do not know: keep it for a human.
            move_to_corrupt(path, "no HOLDFAST-LOG 2 magic");
            continue;
        }
        auto seg = std::make_shared<Segment>();
        seg->seq = seq;
        seg->fd = std::move(scanned.fd);
        seg->size = scanned.size;
        ++recovery_.segments;
        segments_[seq] = seg;
        apply(scanned, *seg, path);
        const std::uint64_t good = seg->size - scanned.unread;
        // Zeros after the last record are the unused end of a segment made
        // ahead: exactly kTargetSize long (a record that did not fit would
        // have made it longer), or with no record at all (a crash while it
        // was being made). In any other they are a tail the disk lost.
        const bool made_ahead = scanned.size == segment::kTargetSize;
        const bool unused_end =
            scanned.unread > 0 && scanned.damaged == 0 && (made_ahead || scanned.records.empty());
        if (unused_end) {
            seg->size = good;  // left as it is: nothing is appended to it again
        } else if (scanned.unread > 0) {
            torn.push_back({seq, good, made_ahead ? scanned.damaged : scanned.unread});
        }
        if (!scanned.records.empty() || (scanned.unread > 0 && !unused_end)) last_written = seq;
    }
    // Judged once every segment is read: the writer makes the next segment
    // (records none, zeros only) before the current one is full, so the
    // one a crash cut short need not be the newest file.
    for (const TornTail& t : torn) {
        ++recovery_.torn;
        const fs::path path = segment_path(t.seq);
        if (t.seq == last_written && t.damaged < kCrashTail) {
            spdlog::warn(
                "spool: {}: the last {} octets are not a whole record (a write cut "
                "short by a crash; nothing in them was acknowledged)",
                path.string(), t.damaged);
        } else {
            // Not where a crash leaves a torn write: damage (or a bug).
            // Whatever follows it cannot be read, but a human may save it.
            spdlog::error("spool: {}: {} octets after offset {} are not whole records",
                          path.string(), t.damaged, t.good);
            copy_to_corrupt(path, "unreadable records");
        }
        // Cut off, so that a later recovery does not report it again.
        if ((ec = truncate_to(path, t.good))) return ec;
        segments_[t.seq]->size = t.good;
    }
    // A queued message's body file was fdatasync'd before its M record was
    // written; one that is missing now was lost by a human or a failing
    // disk. (A finished message's file is removed after its D record is
    // durable, so only messages still queued are checked.)
    for (auto it = index_.begin(); it != index_.end();) {
        auto next = std::next(it);
        const std::string id(it->first.view());
        if (it->second.body_file && !body_present(id, it->second)) {
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
    // The scanning threads' heaps held every segment's parsed records for a
    // moment: give what is free of them back to the system now.
    ::malloc_trim(0);
    spdlog::info("spool: dir={} messages={} segments={} torn={} corrupt={} finished={} imported={}",
                 dir_.string(), recovery_.loaded, recovery_.segments, recovery_.torn,
                 recovery_.corrupt, recovery_.finished, recovery_.imported);
    return {};
}

}  // namespace holdfast::queue
