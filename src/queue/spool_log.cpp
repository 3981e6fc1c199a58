// The spool's log. Callers append their records to the active segment on
// their own thread, one at a time (append_mu_); one writer thread takes every
// record appended since its last round, makes them durable with one
// fdatasync (group commit), then updates the index and tells the callers.
// Under load a batch grows by itself: the more sessions wait, the more share
// one flush; a lone session waits for its own flush only. The writer also
// retires the segments nothing refers to any more.
#include <spdlog/spdlog.h>

#include "mail/queue_id.hpp"
#include "metrics/events.hpp"
#include "queue/record.hpp"
#include "queue/segment.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;
using segment::kTargetSize;
using segment::RecordType;

namespace {
// How long records nobody waits for (removals) may wait for a flush to go
// with: their message leaves the index, and segments are retired, then.
constexpr auto kLazyRecords = std::chrono::milliseconds(50);
}  // namespace

void Spool::store(Envelope env, std::string message, std::function<void(std::error_code)> done) {
    env.size = message.size();
    // The state part starts empty: an S record comes with the first outcome.
    env.next_attempt = {};
    env.warned = env.held = false;
    if (!mail::is_valid_queue_id(env.id)) {
        if (done) done(Errc::bad_queue_id);
        return;
    }
    std::string head = record::envelope_json(env);
    head += '\n';
    std::string id = env.id;
    Op op = make_op(RecordType::message, std::move(id), std::move(head), std::move(message),
                    std::move(done));
    op.env = std::move(env);
    enqueue(std::move(op));
}

Spool::Op Spool::make_op(RecordType type, std::string id, std::string head, std::string message,
                         std::function<void(std::error_code)> done) {
    Op op;
    op.type = type;
    op.id = std::move(id);
    op.head = std::move(head);
    op.message = std::move(message);
    op.done = std::move(done);
    return op;
}

bool Spool::append(Op& op) {
    if (op.type == RecordType::message) {
        // An id already queued is refused (ids are random, but a collision
        // must never shadow acknowledged mail).
        std::lock_guard lock(index_mu_);
        if (index_.count(std::string_view(op.id))) op.ec = Errc::duplicate_id;
    }
    if (!op.ec && !active_) op.ec = start_segment();
    if (op.ec) return false;
    std::string rec;
    rec.reserve(segment::kRecordHeader + op.head.size() + op.message.size());
    segment::append_record(rec, op.type, op.head, op.message);
    std::size_t written = 0;
    while (written < rec.size()) {
        ssize_t n = ::pwrite(active_->fd.get(), rec.data() + written, rec.size() - written,
                             static_cast<off_t>(active_->size + written));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            op.ec = posix::last_error();
            // What reached the file is unknown: append nothing more there,
            // so that no acknowledged record ever follows a damaged one.
            spdlog::error("spool: writing {} failed: {}; starting a new segment",
                          segment_path(active_->seq).string(), op.ec.message());
            active_->failed = true;
            active_.reset();
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    op.seg = active_;
    ++active_->unflushed;  // not retired under a record whose commit is still to come
    op.payload_offset = active_->size + segment::kRecordHeader;
    active_->size += rec.size();
    if (op.type == RecordType::state) {
        // get() reads the newest state from here on (from the page cache
        // until it is flushed), so that it never returns an older one.
        std::lock_guard lock(index_mu_);
        auto it = index_.find(std::string_view(op.id));
        if (it != index_.end()) {
            it->second.state_seg = static_cast<std::uint32_t>(op.seg->seq);
            it->second.state_offset =
                static_cast<std::uint32_t>(op.payload_offset + op.id.size() + 1);
            it->second.state_length = static_cast<std::uint32_t>(op.head.size() - op.id.size() - 1);
        }
    }
    if (active_->size >= kTargetSize) active_.reset();  // closed: the next append starts one
    return true;
}

void Spool::enqueue(Op op) {
    {
        std::lock_guard appending(append_mu_);
        bool closing;
        {
            std::lock_guard lock(pending_mu_);
            closing = stopping_;  // stable: set under append_mu_ too
        }
        if (closing) {
            op.ec = Errc::shutting_down;
        } else if (append(op)) {
            // A plain removal wakes nobody: no one waits for it, and it goes
            // with the next flush (or within kLazyRecords). Delivering a
            // message then costs the writer one wake-up, not two.
            const bool waited_for = op.type != RecordType::done || op.body_file;
            std::lock_guard lock(pending_mu_);  // in append order
            pending_.push_back(std::move(op));
            if (waited_for) {
                ++pending_waited_;
                pending_cv_.notify_one();
            }
            return;
        }
    }
    // Refused at once, on the caller's thread (a D record left unwritten
    // only means that message is delivered again after a restart).
    if (op.done) op.done(op.ec);
}

void Spool::writer_loop() {
    std::vector<Op> batch;
    for (;;) {
        {
            std::unique_lock lock(pending_mu_);
            pending_cv_.wait_for(lock, kLazyRecords,
                                 [this] { return stopping_ || pending_waited_ > 0; });
            if (pending_.empty()) {
                if (stopping_) return;  // every appended record is done
                continue;
            }
            batch.swap(pending_);
            pending_waited_ = 0;
        }
        commit(batch);
        batch.clear();
        prepare_spare();
    }
}

std::error_code Spool::start_segment() {
    std::shared_ptr<Segment> seg = std::move(spare_);
    if (!seg) {
        // The index keeps segment numbers in 32 bits: 64 PiB of log at 16 MiB each.
        if (next_seq_ > UINT32_MAX) return make_error_code(std::errc::value_too_large);
        seg = std::make_shared<Segment>();
        seg->seq = next_seq_++;
        // Not written full of zeros here: that would hold up this append
        // (and every session behind it) for the time 16 MiB take.
        if (auto ec = create_segment(seg->seq, false, seg->fd)) return ec;
    }
    seg->size = segment::kMagic.size();
    {
        std::lock_guard lock(index_mu_);
        segments_[seg->seq] = seg;
    }
    active_ = std::move(seg);
    return {};
}

std::error_code Spool::create_segment(std::uint64_t seq, bool zeroed, posix::UniqueFd& fd) {
    fs::path path = segment_path(seq);
    fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return posix::last_error();
    // The magic flushed and the name made durable before any record goes in.
    std::error_code ec = posix::write_all(fd.get(), segment::kMagic);
    if (zeroed) {
        // Written, not fallocate'd: ext4 keeps fallocate'd blocks "unwritten"
        // and the first write to them changes the extent tree (a journal
        // commit at the next fdatasync), which is what the zeros avoid.
        const std::string zeros(1024 * 1024, '\0');
        for (std::uint64_t at = segment::kMagic.size(); !ec && at < kTargetSize;) {
            const std::size_t n = std::min<std::uint64_t>(zeros.size(), kTargetSize - at);
            ec = posix::write_all(fd.get(), std::string_view(zeros).substr(0, n));
            at += n;
        }
    }
    if (!ec && ::fdatasync(fd.get()) != 0) ec = posix::last_error();
    if (!ec) ec = util::fsync_directory(log_dir());
    if (ec) {
        ::unlink(path.c_str());
        fd.reset();
    }
    return ec;
}

void Spool::prepare_spare() {
    {
        std::lock_guard appending(append_mu_);
        // Made once the active segment is half full: in time for it to be
        // closed, and no earlier, so that a quiet spool keeps one segment.
        if (spare_ || !active_ || active_->size < kTargetSize / 2 ||
            spare_failed_for_ == active_->seq) {
            return;
        }
    }
    make_spare();
}

void Spool::make_spare() {
    auto seg = std::make_shared<Segment>();
    {
        std::lock_guard appending(append_mu_);
        if (spare_ || next_seq_ > UINT32_MAX) return;
        seg->seq = next_seq_++;
    }
    const std::error_code ec = create_segment(seg->seq, true, seg->fd);
    std::lock_guard appending(append_mu_);
    if (ec) {
        spdlog::warn("spool: making the next segment {} failed: {}; it is made when needed",
                     segment_path(seg->seq).string(), ec.message());
        if (active_) spare_failed_for_ = active_->seq;
        if (next_seq_ == seg->seq + 1) --next_seq_;
        return;
    }
    if (next_seq_ != seg->seq + 1) {
        // A segment was started meanwhile (the active one filled up or a
        // write to it failed while this one was made): records must go to
        // segments in the order of their numbers, so this one is too old.
        ::unlink(segment_path(seg->seq).c_str());
        return;
    }
    spare_ = std::move(seg);
}

void Spool::append_and_commit(std::vector<Op>& batch) {
    {
        std::lock_guard appending(append_mu_);
        for (auto& op : batch) append(op);
    }
    commit(batch);
}

void Spool::commit(std::vector<Op>& batch) {
    // One fdatasync per segment the batch wrote to: one, or two when a
    // segment was closed in between. Not for D records alone: nobody waits
    // for those (see remove()), the next flush takes them along.
    std::map<Segment*, std::error_code> flushed;
    for (const auto& op : batch) {
        // A D record whose message has a body file is flushed too: the file
        // is removed only once the D record is durable.
        if (op.ec || (op.type == RecordType::done && !op.body_file)) continue;
        if (flushed.count(op.seg.get())) continue;
        std::error_code ec;
        auto fd = op.seg->fd.get();
        auto& histogram = metrics::events().spool_fsync_seconds;
        if (metrics::timed(histogram, [fd] { return ::fdatasync(fd); }) != 0)
            ec = posix::last_error();
        flushed[op.seg.get()] = ec;
    }
    for (auto& [seg, ec] : flushed) {
        std::lock_guard appending(append_mu_);
        if (ec && !seg->failed) {
            // After a failed flush even the page cache cannot be trusted, and
            // a later fdatasync may report success for data that is lost:
            // nothing in this segment is acknowledged from now on.
            spdlog::error("spool: flushing {} failed: {}; starting a new segment",
                          segment_path(seg->seq).string(), ec.message());
            seg->failed = true;
            if (active_.get() == seg) active_.reset();
        }
    }
    std::function<void(const Envelope&)> on_stored;
    {
        std::lock_guard lock(index_mu_);
        for (auto& op : batch) {
            if (op.ec) continue;
            std::error_code ec = flushed[op.seg.get()];  // {} if not flushed: a D record
            if (op.seg->failed && !ec) ec = make_error_code(std::errc::io_error);
            if (ec && op.type == RecordType::done) {
                account(op, 0, 0);  // not durable, but the message is finished all the same
            } else if (ec) {
                op.ec = ec;
            } else {
                account(op, op.seg->seq, op.payload_offset);
            }
        }
        on_stored = on_stored_;
    }
    {
        std::lock_guard appending(append_mu_);
        for (const auto& op : batch) {
            if (op.seg) --op.seg->unflushed;
        }
    }
    for (auto& op : batch) {
        if (op.type != RecordType::message) {
            if (op.done) op.done(op.ec);
            continue;
        }
        if (op.ec) {
            spdlog::error("id={} from=<{}> status=store-failed error=\"{}\"", op.id, op.env.sender,
                          op.ec.message());
        } else {
            // The session logs the "status=queued" event with the client;
            // this is the spool's detail (how many shared the flush).
            spdlog::debug("id={} size={} nrcpt={} batch={} status=stored", op.id, op.env.size,
                          op.env.recipients.size(), batch.size());
        }
        if (op.done) op.done(op.ec);
    }
    for (const auto& op : batch) {
        if (op.type != RecordType::done || !op.body_file || op.ec || op.seg->failed) continue;
        auto f = flushed.find(op.seg.get());
        if (f != flushed.end() && !f->second) remove_body(op.id);
    }
    if (on_stored) {
        for (const auto& op : batch) {
            if (op.type == RecordType::message && !op.ec) on_stored(op.env);
        }
    }
    retire_segments();
}

// The index and the segments' reference counts after op's record went to
// segment seq (0: a D record that could not be written). index_mu_ is held.
void Spool::account(const Op& op, std::uint64_t seq, std::uint64_t payload_offset) {
    auto ref = [this](std::uint64_t s, int delta) {
        auto it = segments_.find(s);
        if (it != segments_.end()) it->second->refs += static_cast<std::size_t>(delta);
    };
    switch (op.type) {
        case RecordType::message: {
            if (index_.count(std::string_view(op.id))) break;
            Entry e;
            summarize(e, op.env, true);
            e.msg_seg = static_cast<std::uint32_t>(seq);
            e.json_length = static_cast<std::uint32_t>(op.head.size() - 1);  // without its newline
            e.body_offset = static_cast<std::uint32_t>(payload_offset + op.head.size());
            index_.emplace(Key(op.id), e);
            ref(seq, +1);
            remember(op.id, op.env);
            break;
        }
        case RecordType::state: {
            auto it = index_.find(std::string_view(op.id));
            if (it == index_.end()) break;
            if (it->second.state_ref_seg) ref(it->second.state_ref_seg, -1);
            it->second.state_ref_seg = static_cast<std::uint32_t>(seq);
            ref(seq, +1);
            break;
        }
        case RecordType::done: {
            auto it = index_.find(std::string_view(op.id));
            if (it == index_.end()) break;
            ref(it->second.msg_seg, -1);
            if (it->second.state_ref_seg) ref(it->second.state_ref_seg, -1);
            if (seq && seq != it->second.msg_seg) {
                auto s = segments_.find(seq);
                if (s != segments_.end()) s->second->done_for.insert(it->second.msg_seg);
            }
            drop(it);
            break;
        }
    }
}

// Deletes the segments nothing needs any more (docs/queue-format.md,
// "Retiring segments"), in rounds: a segment whose D records point at one
// deleted in this round waits for that deletion to be durable first.
void Spool::retire_segments() {
    for (;;) {
        std::vector<std::shared_ptr<Segment>> gone;
        {
            std::lock_guard appending(append_mu_);  // active_ stays put
            std::lock_guard lock(index_mu_);
            for (const auto& [seq, seg] : segments_) {
                if (seg == active_ || seg->refs != 0 || seg->unflushed != 0) continue;
                bool needed = false;
                for (auto other : seg->done_for) needed = needed || segments_.count(other);
                if (!needed) gone.push_back(seg);
            }
            for (const auto& seg : gone) segments_.erase(seg->seq);
        }
        if (gone.empty()) return;
        for (const auto& seg : gone) {
            if (::unlink(segment_path(seg->seq).c_str()) != 0 && errno != ENOENT) {
                spdlog::error("spool: removing {} failed: {}", segment_path(seg->seq).string(),
                              posix::last_error().message());
            }
        }
        if (auto ec = util::fsync_directory(log_dir())) {
            spdlog::error("spool: fsync of {} failed: {}", log_dir().string(), ec.message());
            return;
        }
    }
}

}  // namespace holdfast::queue
