// Spool: opening, the in-memory index and the per-message updates.
// The log writer (group commit) is in spool_log.cpp, recovery in
// spool_recover.cpp, the import of a version 1 spool in spool_import.cpp.
#include "queue/spool.hpp"

#include <sys/file.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <future>

#include <spdlog/spdlog.h>

#include "queue/record.hpp"
#include "queue/segment.hpp"
#include "queue/segment_scan.hpp"
#include "util/file.hpp"
#include "util/thread_name.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;
using segment::RecordType;

std::unique_ptr<Spool> Spool::open(const fs::path& dir, std::error_code& ec, OpenOptions options) {
    ec.clear();
    for (const char* sub : {"log", "corrupt", "body"}) {
        if ((ec = util::ensure_directory(dir / sub))) return nullptr;
    }
    // Their names durable before anything acknowledged goes in them.
    if ((ec = util::fsync_directory(dir))) return nullptr;
    // One process owns a spool: a second daemon, or the CLI while a daemon
    // runs, must not recover (and append) under a live writer. flock is
    // released by the kernel when the owner dies, even by kill -9.
    posix::UniqueFd lock(::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) {
        ec = posix::last_error();
        return nullptr;
    }
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        ec = errno == EWOULDBLOCK ? make_error_code(Errc::spool_locked) : posix::last_error();
        return nullptr;
    }
    std::unique_ptr<Spool> spool(new Spool(dir, lock.release()));
    if ((ec = spool->recover())) return nullptr;
    if (options.first_segment_ahead) {
        spool->make_spare();
        // Recovery's own records (D records) may have started a plain
        // segment: this run's appends go to the zeroed one.
        std::lock_guard appending(spool->append_mu_);
        if (spool->spare_) spool->active_.reset();
    }
    spool->writer_ = std::thread([s = spool.get()] {
        util::name_this_thread("hf-spool-write");
        s->writer_loop();
    });
    spool->body_thread_ = std::thread([s = spool.get()] {
        util::name_this_thread("hf-spool-body");
        s->body_loop();
    });
    return spool;
}

Spool::Spool(fs::path dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

Spool::~Spool() {
    {
        // The body thread first: what it still syncs goes through the writer.
        std::lock_guard lock(body_mu_);
        body_stopping_ = true;
    }
    body_cv_.notify_all();
    if (body_thread_.joinable()) body_thread_.join();
    {
        std::lock_guard appending(append_mu_);
        std::lock_guard lock(pending_mu_);
        stopping_ = true;
    }
    pending_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    // Made for appends that did not come: no records, nothing to keep.
    if (spare_) ::unlink(segment_path(spare_->seq).c_str());
    ::close(lock_fd_);  // releases the flock
}

fs::path Spool::segment_path(std::uint64_t seq) const {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.seg", static_cast<unsigned long long>(seq));
    return log_dir() / name;
}

void Spool::set_on_stored(std::function<void(const Envelope&)> fn) {
    std::lock_guard lock(index_mu_);
    on_stored_ = std::move(fn);
}

namespace {

// Recent envelopes kept in memory (Spool::recent_): enough for every
// message in flight at thousands a second, a few megabytes at most.
constexpr std::size_t kRecentEnvelopes = 4096;
// Messages for_each shows per hold of the index lock (well under a
// millisecond).
constexpr std::size_t kWalkRound = 4096;

std::int64_t to_us(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
std::chrono::system_clock::time_point from_us(std::int64_t us) {
    return std::chrono::system_clock::time_point(std::chrono::microseconds(us));
}

}  // namespace

void Spool::summarize(Entry& e, const Envelope& env, bool fresh) {
    DestinationSets::Id pending = destinations_.intern(env.recipients);
    if (!fresh) destinations_.release(e.pending);
    e.pending = pending;
    e.arrival_us = to_us(env.arrival);
    e.next_attempt_us = to_us(env.next_attempt);
    e.size = env.size;
    e.attempts = Entry::capped_attempts(env.attempts);
    e.addresses_hash = addresses_hash(env.recipients);
    e.held = env.held;
    e.warned = env.warned;
    e.body_file = env.body_file;
}

QueuedMessage Spool::view(const Index::value_type& entry) const {
    const Entry& e = entry.second;
    QueuedMessage m;
    m.id = entry.first.view();
    m.arrival = from_us(e.arrival_us);
    m.next_attempt = from_us(e.next_attempt_us);
    m.size = e.size;
    m.attempts = e.attempts;
    m.held = e.held;
    m.warned = e.warned;
    m.pending = destinations_.get(e.pending);
    return m;
}

void Spool::remember(const std::string& id, const Envelope& env) const {
    auto [it, added] = recent_.insert_or_assign(id, env);
    if (!added) return;
    recent_order_.push_back(id);
    // Oldest first out. The order also names envelopes forgotten since
    // (finished messages), left for their turn: at most as many again.
    // Every envelope kept has a place in it, so none stays for ever.
    while (recent_.size() > kRecentEnvelopes || recent_order_.size() > 2 * kRecentEnvelopes) {
        recent_.erase(recent_order_.front());
        recent_order_.pop_front();
    }
}

void Spool::forget(std::string_view id) const {
    recent_.erase(std::string(id));
}

void Spool::drop(Index::iterator it) {
    forget(it->first.view());
    destinations_.release(it->second.pending);
    index_.erase(it);
}

std::vector<Envelope> Spool::list() const {
    std::vector<std::string> ids;
    {
        std::lock_guard lock(index_mu_);
        ids.reserve(index_.size());
        for (const auto& [key, entry] : index_) {
            if (!entry.removed) ids.emplace_back(key.view());
        }
    }
    std::vector<Envelope> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
        if (auto env = get(id)) out.push_back(std::move(*env));
    }
    return out;
}

std::size_t Spool::size() const {
    std::lock_guard lock(index_mu_);
    std::size_t n = 0;
    for (const auto& [id, entry] : index_) n += entry.removed ? 0 : 1;
    return n;
}

void Spool::for_each(const std::function<void(const QueuedMessage&)>& fn) const {
    // In rounds, the lock let go in between: a walk over a million queued
    // messages (a metrics scrape, the queue sampler) takes some 60 ms, which
    // stores and deliveries would otherwise wait out. Each round goes on
    // after the last id it showed.
    std::optional<Key> after;
    for (;;) {
        std::lock_guard lock(index_mu_);
        auto it = after ? index_.upper_bound(after->view()) : index_.begin();
        for (std::size_t n = 0; it != index_.end() && n < kWalkRound; ++it, ++n) {
            if (!it->second.removed) fn(view(*it));
        }
        if (it == index_.end()) return;
        after = std::prev(it)->first;
    }
}

std::optional<Envelope> Spool::get(const std::string& id) const {
    Entry e;
    {
        std::lock_guard lock(index_mu_);
        auto it = index_.find(std::string_view(id));
        if (it == index_.end() || it->second.removed) return std::nullopt;
        if (auto r = recent_.find(id); r != recent_.end()) return r->second;
        e = it->second;
    }
    Envelope env;
    if (auto ec = load(id, e, env)) {
        // Gone meanwhile (finished, its segment retired) is no error.
        std::lock_guard lock(index_mu_);
        auto it = index_.find(std::string_view(id));
        if (it == index_.end() || it->second.removed) return std::nullopt;
        spdlog::error("spool: id={} cannot be read: {}", id, ec.message());
        return std::nullopt;
    }
    std::lock_guard lock(index_mu_);
    auto it = index_.find(std::string_view(id));
    if (it == index_.end() || it->second.removed) return std::nullopt;
    // Changed while it was read (modify_state keeps the newer one here), or
    // read by another caller meanwhile: what is in memory is as new or newer.
    if (auto r = recent_.find(id); r != recent_.end()) return r->second;
    if (it->second.state_seg == e.state_seg && it->second.state_offset == e.state_offset)
        remember(id, env);
    return env;
}

std::error_code Spool::load(const std::string& id, const Entry& e, Envelope& env) const {
    std::string text;
    if (auto ec =
            read_record_bytes(e.msg_seg, e.body_offset - e.json_length - 1, e.json_length, text)) {
        return ec;
    }
    if (auto ec = record::parse_envelope_json(text, env)) return ec;
    if (env.id != id) return Errc::corrupt;
    if (e.state_seg == 0) return {};
    std::error_code ec = read_record_bytes(e.state_seg, e.state_offset, e.state_length, text);
    if (ec == Errc::no_such_message) {
        // Its segment is gone: the S record was in one whose flush failed
        // (and was retired since). The message record's own recipient
        // states are older, never newer: delivered twice at worst, as
        // after a restart.
        spdlog::warn("spool: id={} its newest state was not written; using the message's own", id);
        return {};
    }
    if (ec) return ec;
    return record::apply_state_json(text, env);
}

std::error_code Spool::read_message(const std::string& id, std::string& out) const {
    return read_message(id, 0, SIZE_MAX, out);
}

std::error_code Spool::read_message(const std::string& id, std::uint64_t from, std::size_t max,
                                    std::string& out) const {
    std::size_t size = 0;
    Entry e;
    {
        std::lock_guard lock(index_mu_);
        auto it = index_.find(std::string_view(id));
        if (it == index_.end() || it->second.removed) return Errc::no_such_message;
        e = it->second;
    }
    size =
        from >= e.size ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(max, e.size - from));
    std::uint64_t head = e.size;
    if (e.body_file) {
        if (auto ec = head_in_record(e, head)) return ec;
    }
    const std::uint64_t seq = e.msg_seg, start = e.body_offset;
    // The first `head` octets are in the M record (all of them without a
    // body file), the rest in body/<ID>.
    out.clear();
    if (from < head) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, head - from));
        if (auto ec = read_record_bytes(seq, start + from, n, out)) return ec;
        size -= n;
        from += n;
    }
    if (size == 0) return {};
    // Read without the index lock. The file stays until the message's D
    // record is durable: missing now, it was finished meanwhile.
    std::string rest;
    std::error_code ec = read_body(id, from - head, size, out.empty() ? out : rest);
    if (ec == Errc::corrupt && !get(id)) return Errc::no_such_message;
    out += rest;
    return ec;
}

std::error_code Spool::head_in_record(const Entry& e, std::uint64_t& head) const {
    std::string frame;
    const std::uint64_t payload = e.body_offset - e.json_length - 1;
    if (auto ec = read_record_bytes(e.msg_seg, payload - segment::kRecordHeader, 4, frame))
        return ec;
    const std::uint64_t length = segment::payload_length(frame);
    if (length < e.json_length + 1u) return Errc::corrupt;
    head = length - e.json_length - 1;
    return {};
}

std::error_code Spool::read_record_bytes(std::uint64_t seq, std::uint64_t offset, std::size_t size,
                                         std::string& out) const {
    std::shared_ptr<Segment> seg;
    {
        std::lock_guard lock(index_mu_);
        auto s = segments_.find(seq);
        if (s == segments_.end()) return Errc::no_such_message;
        seg = s->second;
    }
    out.resize(size);
    std::size_t got = 0;
    while (got < size) {
        ssize_t n =
            ::pread(seg->fd.get(), out.data() + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return posix::last_error();
        if (n == 0) return Errc::corrupt;  // shorter than recovery or the writer saw it
        got += static_cast<std::size_t>(n);
    }
    return {};
}

std::error_code Spool::update_recipients(const std::string& id, const std::vector<Recipient>& r,
                                         std::chrono::system_clock::time_point next_attempt) {
    return modify_recipients(
        id, [&](std::vector<Recipient>& current, std::chrono::system_clock::time_point& next) {
            current = r;
            next = next_attempt;
        });
}

std::error_code Spool::modify_recipients(const std::string& id, const RecipientChange& change) {
    return modify_state(id, [&](Envelope& env) { change(env.recipients, env.next_attempt); });
}

// The index takes the new state at once, in the order the records are
// queued, so that a second update builds on the first even before either is
// flushed; the caller hears back only after the flush. Should the flush
// fail, the log keeps the older state: after a restart that message is
// tried again (a duplicate at worst, never a loss).
std::error_code Spool::modify_state(const std::string& id, const StateChange& change) {
    if (std::this_thread::get_id() == writer_.get_id()) {
        // It would wait for itself: a `done` or on_stored callback must post
        // such work elsewhere.
        spdlog::critical("spool: modify_state called on the spool's writer thread (id={})", id);
        return make_error_code(std::errc::resource_deadlock_would_occur);
    }
    std::future<std::error_code> flushed;
    {
        std::lock_guard modify(modify_mu_);
        auto current = get(id);
        if (!current) return Errc::no_such_message;
        Envelope changed = *current;
        change(changed);
        // Only the mutable part is taken from `changed`, as an S record
        // would apply it; a recipient's kind was decided at RCPT and stays.
        record::State state{std::move(changed.recipients), changed.next_attempt, changed.warned,
                            changed.held, changed.attempts};
        for (std::size_t i = 0; i < state.recipients.size() && i < current->recipients.size(); ++i)
            state.recipients[i].kind = current->recipients[i].kind;
        Envelope& env = *current;  // get() gave us a copy of our own
        if (auto ec = record::apply_state(std::move(state), env)) return ec;
        if (!env.has_pending()) {
            // Nothing left to do: the D record is the durable outcome.
            {
                std::lock_guard lock(index_mu_);
                auto it = index_.find(std::string_view(id));
                if (it != index_.end()) it->second.removed = true;
                forget(id);
            }
            enqueue(make_done(id, env.body_file));
            spdlog::info("id={} status=removed reason=done", id);
            return {};
        }
        auto promise = std::make_shared<std::promise<std::error_code>>();
        flushed = promise->get_future();
        std::string head = id + '\n' + record::state_json(env);
        // Appended first (which points the index at the new record), then
        // the summary and the recent envelope: a get() reading meanwhile
        // finds the new state either in the log or in memory.
        enqueue(make_op(RecordType::state, id, std::move(head), {},
                        [promise](std::error_code ec) { promise->set_value(ec); }));
        std::lock_guard lock(index_mu_);
        auto it = index_.find(std::string_view(id));
        if (it != index_.end()) summarize(it->second, env, false);
        remember(id, env);
    }
    return flushed.get();
}

std::error_code Spool::remove(const std::string& id) {
    bool body_file = false;
    {
        std::lock_guard modify(modify_mu_);
        std::lock_guard lock(index_mu_);
        auto it = index_.find(std::string_view(id));
        if (it == index_.end() || it->second.removed) return Errc::no_such_message;
        it->second.removed = true;
        body_file = it->second.body_file;
        forget(id);
    }
    enqueue(make_done(id, body_file));
    spdlog::info("id={} status=removed reason=deleted", id);
    return {};
}

fs::path Spool::corrupt_target(const fs::path& file) const {
    fs::path target = corrupt_dir() / file.filename();
    for (int n = 1; fs::exists(target); ++n) {
        target = corrupt_dir() / (file.filename().string() + "." + std::to_string(n));
    }
    return target;
}

void Spool::move_to_corrupt(const fs::path& file, const std::string& why) {
    const fs::path target = corrupt_target(file);
    std::error_code ec;
    fs::rename(file, target, ec);
    if (ec) {
        spdlog::error("spool: corrupt file {} ({}) could not be moved to {}: {}", file.string(),
                      why, target.string(), ec.message());
        return;
    }
    ++recovery_.corrupt;
    spdlog::error("spool: corrupt file {} ({}) moved to {}", file.string(), why, target.string());
}

void Spool::copy_to_corrupt(const fs::path& file, const std::string& why) {
    const fs::path target = corrupt_target(file);
    std::error_code ec;
    fs::copy_file(file, target, ec);
    if (ec) {
        spdlog::error("spool: corrupt file {} ({}) could not be copied to {}: {}", file.string(),
                      why, target.string(), ec.message());
        return;
    }
    ++recovery_.corrupt;
    spdlog::error("spool: corrupt file {} ({}) copied to {}", file.string(), why, target.string());
}

}  // namespace holdfast::queue
