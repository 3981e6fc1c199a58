#pragma once
// The durable spool: a message is acknowledged (250) only after its bytes and
// envelope are on disk, fsync'd and renamed into place. Concurrent stores
// share the directory fsync (group commit). The on-disk layout is private to
// this class (docs/queue-format.md); callers see ids, envelopes and bytes.
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "queue/envelope.hpp"
#include "queue/errors.hpp"

namespace holdfast::queue {

// What recovery found when the spool was opened (also logged).
struct RecoveryReport {
    std::size_t loaded = 0;         // complete messages now in the index
    std::size_t discarded_tmp = 0;  // partial writes from before a crash, deleted
    std::size_t corrupt = 0;        // files moved to corrupt/
    std::size_t finished = 0;       // messages with nothing pending, removed
};

class Spool {
  public:
    // Creates the directory layout if missing, takes the spool's lock (one
    // process at a time: Errc::spool_locked otherwise), then recovers:
    // partial/temporary files are discarded, corrupt ones moved to corrupt/,
    // every complete message is loaded into the in-memory index.
    static std::unique_ptr<Spool> open(const std::filesystem::path& dir, std::error_code& ec);
    // Finishes every store already accepted, then stops the writer thread.
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Durable, asynchronous, thread-safe. `done` runs on the spool's writer
    // thread once envelope and message are written, fsync'd, renamed into
    // the spool and the directory fsync'd; only then may the session answer
    // 250. env.id must be a fresh mail::new_queue_id(); env.size is set here.
    // Refusals known at once (invalid id, spool closing) call `done` right
    // away on the caller's thread.
    void store(Envelope env, std::string message, std::function<void(std::error_code)> done);
    // Called (on the writer thread) after each successful store, after `done`.
    // Stores still waiting when the Spool is destroyed call it too: clear it
    // (set_on_stored({})) before destroying whatever it points to.
    void set_on_stored(std::function<void(const std::string& id)> fn);

    std::vector<Envelope> list() const;  // sorted by id, i.e. by arrival
    std::optional<Envelope> get(const std::string& id) const;
    std::error_code read_message(const std::string& id, std::string& out) const;
    // Durably records per-recipient outcomes (same addresses, same order as
    // the envelope) and when to try next; removes the message when no
    // recipient is pending any more.
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
    // next_attempt, warned and held. It must keep the addresses and their
    // order (Errc::recipients_mismatch otherwise); changes to anything else
    // (sender, DSN parameters, ...) are ignored: the message file is
    // written once.
    using StateChange = std::function<void(Envelope&)>;
    std::error_code modify_state(const std::string& id, const StateChange& change);
    std::error_code remove(const std::string& id);  // Errc::no_such_message if absent

    const std::filesystem::path& dir() const { return dir_; }
    const RecoveryReport& recovery() const { return recovery_; }

  private:
    struct PendingStore {
        Envelope env;
        std::string message;
        std::function<void(std::error_code)> done;
        std::error_code ec;
        bool renamed = false;
    };

    Spool(std::filesystem::path dir, int lock_fd);
    std::error_code recover();  // spool_recover.cpp
    void writer_loop();         // spool_store.cpp
    void commit(std::vector<PendingStore>& batch);
    std::error_code write_temp(const PendingStore& p) const;
    std::error_code write_state(const Envelope& env);
    std::error_code remove_files(const std::string& id);
    void move_to_corrupt(const std::filesystem::path& file, const std::string& why);

    std::filesystem::path tmp_dir() const { return dir_ / "tmp"; }
    std::filesystem::path msg_dir() const { return dir_ / "msg"; }
    std::filesystem::path state_dir() const { return dir_ / "state"; }
    std::filesystem::path corrupt_dir() const { return dir_ / "corrupt"; }

    const std::filesystem::path dir_;
    const int lock_fd_;
    RecoveryReport recovery_;

    mutable std::mutex index_mu_;  // guards index_ and on_stored_; held only briefly
    std::map<std::string, Envelope> index_;
    std::function<void(const std::string&)> on_stored_;

    std::mutex files_mu_;  // serialises state writes and removals (not stores)

    std::mutex pending_mu_;  // guards pending_ and stopping_
    std::condition_variable pending_cv_;
    std::vector<PendingStore> pending_;
    bool stopping_ = false;
    std::thread writer_;  // last: started after everything above exists
};

}  // namespace holdfast::queue
