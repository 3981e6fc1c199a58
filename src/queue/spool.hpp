#pragma once
// The durable spool: a message is acknowledged (250) only after its bytes and
// envelope are on disk and fdatasync'd. Everything is appended to a segment
// log by one writer thread, which makes all the records waiting at that
// moment durable with one flush (group commit). The on-disk layout is
// private to this class (docs/queue-format.md); callers see ids, envelopes
// and bytes.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "queue/destination_sets.hpp"
#include "queue/envelope.hpp"
#include "queue/errors.hpp"
#include "queue/posix.hpp"
#include "queue/queued_message.hpp"
#include "queue/segment.hpp"

namespace holdfast::queue {

class Spool;
struct ScannedSegment;

// A large message's bytes on their way into the spool (docs/queue-format.md,
// "Body files"): the session writes them to body/<ID> as they arrive, so
// its memory stays bounded whatever the message size, then hands the file
// to Spool::store, which makes it durable before the message's record. A
// BodyFile that is never stored (refused message, client gone) removes its
// file when destroyed.
class BodyFile {
  public:
    BodyFile(const BodyFile&) = delete;
    BodyFile& operator=(const BodyFile&) = delete;
    ~BodyFile();
    // Appends at the end; the first error is kept and every later write
    // returns it (the session reads on to the end of data, then answers 451).
    std::error_code write(std::string_view bytes);
    std::size_t size() const { return size_; }
    // Octets that go before everything written: kept in the message's log
    // record instead of the file, so that a header field made at the end of
    // data (a DKIM-Signature) is added without copying the file.
    void prepend(std::string bytes) { head_ = std::move(bytes) + head_; }
    // What was written so far, piece by piece (content scanning reads it
    // back in chunks): at most `max` octets from `offset` into `out`.
    std::error_code read(std::uint64_t offset, std::size_t max, std::string& out) const;
    // Replaces the first `old_length` octets with `head` (headers added by
    // a content scanner). The rest is copied file to file in the kernel
    // (copy_file_range), never through memory, into a new file renamed over
    // this one: the spool's fdatasync and directory fsync still cover it.
    std::error_code replace_head(std::size_t old_length, std::string_view head);

  private:
    friend class Spool;
    BodyFile(std::filesystem::path path, posix::UniqueFd fd)
        : path_(std::move(path)), fd_(std::move(fd)) {}
    std::filesystem::path path_;
    posix::UniqueFd fd_;
    std::size_t size_ = 0;
    std::error_code ec_;
    std::string head_;   // prepend()
    bool kept_ = false;  // stored: the spool owns the file now
};

// What recovery found when the spool was opened (also logged).
struct RecoveryReport {
    std::size_t loaded = 0;    // messages now in the index
    std::size_t segments = 0;  // segment files read
    std::size_t torn = 0;      // segments ending in a record cut short by a crash
    std::size_t corrupt = 0;   // files or records set aside in corrupt/
    std::size_t finished = 0;  // messages with nothing pending, removed
    std::size_t imported = 0;  // messages imported from a version 1 spool
};

struct OpenOptions {
    // Make the run's first segment at open, full of zeros, as the writer
    // makes every next one ahead of its use (about 20 ms and 16 MiB
    // written): for the daemon. Otherwise the first append makes a plain
    // one (the CLI, tests).
    bool first_segment_ahead = false;
};

class Spool {
  public:
    // Creates the directory layout if missing, takes the spool's lock (one
    // process at a time: Errc::spool_locked otherwise), then recovers: reads
    // the segments into the in-memory index (a torn tail is skipped,
    // unreadable files are copied to corrupt/), imports a version 1 spool,
    // and starts a new segment for this run.
    static std::unique_ptr<Spool> open(const std::filesystem::path& dir, std::error_code& ec,
                                       OpenOptions options = {});
    // Finishes every store already accepted, then stops the writer thread.
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Durable, asynchronous, thread-safe. `done` runs on the spool's writer
    // thread once envelope and message are appended to the log and
    // fdatasync'd; only then may the session answer 250. `done` must not
    // call back into the spool's blocking updates (it runs on the thread
    // they wait for). env.id must be a fresh mail::new_queue_id(); env.size
    // is set here.
    // Refusals known at once (invalid id, spool closing) call `done` right
    // away on the caller's thread.
    void store(Envelope env, std::string message, std::function<void(std::error_code)> done);
    // A large message: its bytes are in a body file (create_body), the
    // record holds the envelope only. The file is fdatasync'd (and body/
    // fsync'd) on the spool's body thread, then the record goes through the
    // log as above; `done` (on the writer thread, or at once for a
    // refusal) has the same meaning. env.size is the file's size.
    void store(Envelope env, std::unique_ptr<BodyFile> body,
               std::function<void(std::error_code)> done);
    // A new, empty body file for queue id `id` (body/<ID>, mode 0600).
    std::unique_ptr<BodyFile> create_body(const std::string& id, std::error_code& ec);
    // Called (on the writer thread) after each successful store, after `done`,
    // with the envelope as stored. Stores still waiting when the Spool is
    // destroyed call it too: clear it (set_on_stored({})) before destroying
    // whatever it points to.
    void set_on_stored(std::function<void(const Envelope&)> fn);

    // Every queued message's envelope, sorted by id, i.e. by arrival. Each
    // is read from the log: for `queue list`, not for every message sent.
    std::vector<Envelope> list() const;
    std::size_t size() const;  // messages queued
    // Calls fn for every queued message, in id order, from the index alone
    // (no envelope is read or copied). The index is locked while fn runs
    // (fn must not call back into the spool), but let go every few thousand
    // messages: what is stored or removed meanwhile may or may not be shown.
    void for_each(const std::function<void(const QueuedMessage&)>& fn) const;
    // The envelope with its newest state: from memory for a recent message,
    // else read from its records. nullopt if not queued (or unreadable: then
    // logged).
    std::optional<Envelope> get(const std::string& id) const;
    std::error_code read_message(const std::string& id, std::string& out) const;
    // Part of it: at most `max` octets from `offset` (fewer at the end, none
    // past it), so that a large message can be delivered piece by piece.
    std::error_code read_message(const std::string& id, std::uint64_t offset, std::size_t max,
                                 std::string& out) const;
    // Durably records per-recipient outcomes (same addresses, same order as
    // the envelope) and when to try next; removes the message when no
    // recipient is pending any more. Blocks until the record is flushed
    // (shared with whatever else is waiting); a removal does not wait.
    std::error_code update_recipients(const std::string& id, const std::vector<Recipient>& r,
                                      std::chrono::system_clock::time_point next_attempt = {});
    // The same, read-modify-write under the spool's lock: `change` sees the
    // current recipients and next attempt, so outcomes another courier
    // recorded meanwhile are not overwritten with a stale copy. It must keep
    // the addresses and their order.
    using RecipientChange =
        std::function<void(std::vector<Recipient>&, std::chrono::system_clock::time_point&)>;
    std::error_code modify_recipients(const std::string& id, const RecipientChange& change);
    // The general form, same locking and durability: `change` sees the
    // current envelope and may change the recipients' state and last_error,
    // next_attempt, warned, held and attempts. It must keep the addresses and their
    // order (Errc::recipients_mismatch otherwise); changes to anything else
    // (sender, DSN parameters, ...) are ignored: the message file is
    // written once.
    using StateChange = std::function<void(Envelope&)>;
    std::error_code modify_state(const std::string& id, const StateChange& change);
    // Writes the message's D record (not waited for: see docs/queue-format.md).
    std::error_code remove(const std::string& id);  // Errc::no_such_message if absent

    const std::filesystem::path& dir() const { return dir_; }
    const RecoveryReport& recovery() const { return recovery_; }

  private:
    // A segment file on disk. Readers hold a shared_ptr while they pread, so
    // a segment retired meanwhile keeps its descriptor until they are done.
    struct Segment {
        std::uint64_t seq = 0;
        posix::UniqueFd fd;
        std::uint64_t size = 0;     // octets in the file (append_mu_)
        std::size_t unflushed = 0;  // records appended, not yet through commit (append_mu_)
        std::size_t refs = 0;  // queued messages whose M or newest S record is here (index_mu_)
        // A write or flush failed: nothing in it is acknowledged any more.
        std::atomic<bool> failed{false};
        // Segments holding the M records of this one's D records: while one
        // of them exists, deleting this one would bring those messages back
        // (index_mu_).
        std::set<std::uint64_t> done_for;
    };
    // One record: M (a store), S (a state update) or D (a removal), with
    // whom to tell once it is durable. The caller's thread appends it to the
    // active segment (so a removal is in the page cache, where kill -9
    // cannot undo it, before remove() returns); the writer thread flushes.
    struct Op {
        segment::RecordType type = segment::RecordType::done;
        std::string id;
        Envelope env;         // M: the envelope (with the imported state, for an import)
        std::string head;     // the payload before the message bytes
        std::string message;  // M: the bytes
        std::function<void(std::error_code)> done;
        std::error_code ec;
        std::shared_ptr<Segment> seg;      // where it was appended
        std::uint64_t payload_offset = 0;  // there
        bool body_file = false;  // D: the message has a body file, removed once this is durable
    };
    // A body file waiting for its fdatasync before its M record is appended.
    struct BodySync {
        Envelope env;
        std::unique_ptr<BodyFile> body;
        std::function<void(std::error_code)> done;
    };
    // A queue id as the index's key: its 15 characters, no heap (a
    // std::string is 32 octets, a million of them add up).
    struct Key {
        std::array<char, 15> chars{};
        explicit Key(std::string_view id) { id.copy(chars.data(), chars.size()); }
        std::string_view view() const { return {chars.data(), chars.size()}; }
    };
    struct KeyLess {
        using is_transparent = void;
        bool operator()(const Key& a, const Key& b) const { return a.view() < b.view(); }
        bool operator()(const Key& a, std::string_view b) const { return a.view() < b; }
        bool operator()(std::string_view a, const Key& b) const { return a < b.view(); }
    };
    // A message in the index: where its records are, and what scheduling
    // and the queue figures need (QueuedMessage). The envelope itself is
    // read from the records when asked for (get), unless it is among the
    // recent ones kept in memory. Offsets fit 32 bits: a segment is closed
    // at 16 MiB and a record is at most 1 GiB (segment::kMaxPayload).
    // 64 octets: with its key and the map's node, 128 a message.
    struct Entry {
        std::int64_t arrival_us = 0;
        std::int64_t next_attempt_us = 0;
        std::uint64_t size = 0;
        std::uint32_t msg_seg = 0;      // segment of the M record
        std::uint32_t body_offset = 0;  // where the message bytes start there
        std::uint32_t json_length = 0;  // the envelope's JSON line, just before them
        // The newest S record's state JSON (appended, maybe not yet flushed;
        // state_seg 0: none), and the segment whose reference count holds
        // the newest flushed one.
        std::uint32_t state_seg = 0;
        std::uint32_t state_offset = 0;
        std::uint32_t state_length = 0;
        std::uint32_t state_ref_seg = 0;
        DestinationSets::Id pending = 0;
        // A hash of the recipients' addresses: recovery checks an S record
        // against it without the envelope.
        std::uint32_t addresses_hash = 0;
        std::uint16_t attempts = 0;  // capped: the backoff stops growing long before
        static std::uint16_t capped_attempts(unsigned n) {
            return static_cast<std::uint16_t>(std::min(n, 65535u));
        }
        bool held : 1 = false;
        bool warned : 1 = false;
        bool body_file : 1 = false;
        bool removed : 1 = false;  // D record queued: invisible to callers
    };
    static_assert(sizeof(Entry) <= 64);
    using Index = std::map<Key, Entry, KeyLess>;

    Spool(std::filesystem::path dir, int lock_fd);
    std::error_code recover();  // spool_recover.cpp
    void apply(const ScannedSegment& scanned, Segment& seg, const std::filesystem::path& path);
    std::error_code import_v1();  // spool_import.cpp
    void sweep_bodies();          // spool_body.cpp from here on: body files no message owns
    void body_loop();             // the body thread: fdatasync, then append the M record
    // Reads [offset, offset + size) of body/<ID> into out.
    std::error_code read_body(const std::string& id, std::uint64_t offset, std::size_t size,
                              std::string& out) const;
    void remove_body(const std::string& id);
    // body/<ID> holds `size` octets less those kept in the M record.
    bool body_present(const std::string& id, const Entry& e) const;
    // With a body file: how many of the message's first octets are in the M
    // record (BodyFile::prepend), read from the record's frame; the file
    // holds the rest.
    std::error_code head_in_record(const Entry& e, std::uint64_t& head) const;
    // [offset, offset + size) of the message bytes kept in segment `seq`
    // from `start` on.
    std::error_code read_record_bytes(std::uint64_t seq, std::uint64_t start, std::size_t size,
                                      std::string& out) const;
    // The index (index_mu_ held by the caller):
    // what QueuedMessage shows of e, recomputed from env (its recipients'
    // pending destinations, times, flags).
    void summarize(Entry& e, const Envelope& env, bool fresh);
    QueuedMessage view(const Index::value_type& entry) const;
    void remember(const std::string& id, const Envelope& env) const;  // among the recent ones
    void forget(std::string_view id) const;
    void drop(Index::iterator it);  // out of the index, its destinations released
    // Reads e's envelope and newest state from the log (no lock held).
    std::error_code load(const std::string& id, const Entry& e, Envelope& env) const;
    static Op make_done(const std::string& id, bool body_file);  // a D record
    static Op make_op(segment::RecordType type, std::string id, std::string head,
                      std::string message = {}, std::function<void(std::error_code)> done = {});
    void writer_loop();                   // spool_log.cpp from here on
    bool append(Op& op);                  // false (op.ec set) when it could not be appended
    void enqueue(Op op);                  // append, then hand it to the writer
    void commit(std::vector<Op>& batch);  // flush the appended batch, then tell
    void append_and_commit(std::vector<Op>& batch);  // before the writer runs (recovery)
    std::error_code start_segment();
    // Creates segment `seq`: the magic, then (when `zeroed`) zeros up to
    // segment::kTargetSize, flushed, and its name made durable.
    std::error_code create_segment(std::uint64_t seq, bool zeroed, posix::UniqueFd& fd);
    void prepare_spare();  // the writer thread, between batches: make_spare when it is time
    void make_spare();     // failures are logged; the next append then makes a plain one
    void account(const Op& op, std::uint64_t seg, std::uint64_t payload_offset);
    void retire_segments();
    // Keep a file for a human: a copy (the segment stays in use) or the file
    // itself (it leaves the spool).
    void copy_to_corrupt(const std::filesystem::path& file, const std::string& why);
    void move_to_corrupt(const std::filesystem::path& file, const std::string& why);
    std::filesystem::path corrupt_target(const std::filesystem::path& file) const;

    std::filesystem::path log_dir() const { return dir_ / "log"; }
    std::filesystem::path corrupt_dir() const { return dir_ / "corrupt"; }
    std::filesystem::path body_dir() const { return dir_ / "body"; }
    std::filesystem::path segment_path(std::uint64_t seq) const;

    const std::filesystem::path dir_;
    const int lock_fd_;
    RecoveryReport recovery_;

    // Guards index_, segments_ and on_stored_; held only briefly.
    mutable std::mutex index_mu_;
    Index index_;
    DestinationSets destinations_;
    // The envelopes of the messages stored, changed or read most recently,
    // at most kRecentEnvelopes: a message is usually delivered moments
    // after it arrived, and the couriers then find it here, not in the log.
    mutable std::unordered_map<std::string, Envelope> recent_;
    mutable std::deque<std::string> recent_order_;  // oldest first; may name ones gone
    std::map<std::uint64_t, std::shared_ptr<Segment>> segments_;  // on disk, by SEQ
    std::function<void(const Envelope&)> on_stored_;

    std::mutex modify_mu_;  // one read-modify-write of a state at a time

    // Appends are serialised: the segment being appended to (nullptr: start
    // one before the next append) and the next SEQ.
    std::mutex append_mu_;
    std::shared_ptr<Segment> active_;
    std::uint64_t next_seq_ = 1;
    // The next segment, made by the writer before the active one is full
    // (prepare_spare): written full of zeros, so that appending to it does
    // not change its size and an append's fdatasync flushes data only, not
    // ext4's journal. Its SEQ is next_seq_ - 1 whenever it is set.
    std::shared_ptr<Segment> spare_;
    std::uint64_t spare_failed_for_ = 0;  // the active SEQ a spare could not be made for

    // Guards pending_ (appended, not yet flushed), pending_waited_ and stopping_.
    std::mutex pending_mu_;
    std::condition_variable pending_cv_;
    std::vector<Op> pending_;
    std::size_t pending_waited_ = 0;  // of them, records someone waits for
    bool stopping_ = false;

    std::mutex body_mu_;  // guards body_queue_ and body_stopping_
    std::condition_variable body_cv_;
    std::vector<BodySync> body_queue_;
    bool body_stopping_ = false;
    std::thread body_thread_;

    std::thread writer_;  // last: started after everything above exists
};

}  // namespace holdfast::queue
