// Spool: opening, the in-memory index and the per-message updates.
// Storing (group commit) is in spool_store.cpp, recovery in spool_recover.cpp.
#include "queue/spool.hpp"

#include <sys/file.h>

#include <spdlog/spdlog.h>

#include "queue/posix.hpp"
#include "queue/record.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;

std::unique_ptr<Spool> Spool::open(const fs::path& dir, std::error_code& ec) {
    ec.clear();
    for (const char* sub : {"tmp", "msg", "state", "corrupt"}) {
        if ((ec = util::ensure_directory(dir / sub))) return nullptr;
    }
    // One process owns a spool: a second daemon, or the CLI while a daemon
    // runs, must not recover (delete tmp files) under a live writer. flock is
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
    spool->writer_ = std::thread([s = spool.get()] { s->writer_loop(); });
    return spool;
}

Spool::Spool(fs::path dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

Spool::~Spool() {
    {
        std::lock_guard lock(pending_mu_);
        stopping_ = true;
    }
    pending_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    ::close(lock_fd_);  // releases the flock
}

void Spool::set_on_stored(std::function<void(const std::string& id)> fn) {
    std::lock_guard lock(index_mu_);
    on_stored_ = std::move(fn);
}

std::vector<Envelope> Spool::list() const {
    std::lock_guard lock(index_mu_);
    std::vector<Envelope> out;
    out.reserve(index_.size());
    for (const auto& [id, env] : index_) out.push_back(env);
    return out;
}

std::optional<Envelope> Spool::get(const std::string& id) const {
    std::lock_guard lock(index_mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return std::nullopt;
    return it->second;
}

std::error_code Spool::read_message(const std::string& id, std::string& out) const {
    // Only ids from the index become paths: no "../" from a caller can escape.
    if (!get(id)) return Errc::no_such_message;
    std::error_code ec = record::read_body(msg_dir() / id, out);
    if (ec == std::errc::no_such_file_or_directory) return Errc::no_such_message;  // just removed
    return ec;
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

std::error_code Spool::modify_state(const std::string& id, const StateChange& change) {
    std::lock_guard files(files_mu_);
    auto current = get(id);
    if (!current) return Errc::no_such_message;
    Envelope changed = *current;
    change(changed);
    if (changed.recipients.size() != current->recipients.size()) {
        return Errc::recipients_mismatch;
    }
    // Only the mutable part is taken from `changed`.
    Envelope env = *current;
    for (std::size_t i = 0; i < env.recipients.size(); ++i) {
        if (changed.recipients[i].address != current->recipients[i].address) {
            return Errc::recipients_mismatch;
        }
        env.recipients[i].state = changed.recipients[i].state;
        env.recipients[i].last_error = std::move(changed.recipients[i].last_error);
    }
    env.next_attempt = changed.next_attempt;
    env.warned = changed.warned;
    env.held = changed.held;
    if (!env.has_pending()) {
        // Nothing left to do: removing the message is the durable record.
        if (auto ec = remove_files(id)) return ec;
        spdlog::info("id={} status=removed reason=done", id);
        return {};
    }
    if (auto ec = write_state(env)) return ec;
    std::lock_guard lock(index_mu_);
    index_[id] = std::move(env);
    return {};
}

std::error_code Spool::remove(const std::string& id) {
    std::lock_guard files(files_mu_);
    if (!get(id)) return Errc::no_such_message;
    if (auto ec = remove_files(id)) return ec;
    spdlog::info("id={} status=removed reason=deleted", id);
    return {};
}

// Writes state/<id> through tmp/: write, fsync, rename, fsync state/.
std::error_code Spool::write_state(const Envelope& env) {
    fs::path tmp = tmp_dir() / (env.id + ".state");
    ::unlink(tmp.c_str());  // left by a failed earlier attempt
    if (auto ec = posix::write_synced(tmp.c_str(), record::encode_state(env))) return ec;
    if (::rename(tmp.c_str(), (state_dir() / env.id).c_str()) != 0) {
        auto ec = posix::last_error();
        ::unlink(tmp.c_str());
        return ec;
    }
    return util::fsync_directory(state_dir());
}

// Message file first: once it is gone the message is gone, and a state file
// left behind by a crash here is an orphan that recovery deletes.
//
// No directory fsync after the unlink, as in Postfix: a removal undone by a
// power failure (kill -9 keeps the page cache, so not by a crash of ours)
// brings the message back and delivers it once more, which at-least-once
// delivery allows, while an fsync here would cost one disk flush per
// delivered message and halve the speed of a backlog flush.
std::error_code Spool::remove_files(const std::string& id) {
    if (::unlink((msg_dir() / id).c_str()) != 0 && errno != ENOENT) return posix::last_error();
    {
        std::lock_guard lock(index_mu_);
        index_.erase(id);
    }
    if (::unlink((state_dir() / id).c_str()) != 0 && errno != ENOENT) return posix::last_error();
    return {};
}

void Spool::move_to_corrupt(const fs::path& file, const std::string& why) {
    fs::path target = corrupt_dir() / file.filename();
    for (int n = 1; fs::exists(target); ++n) {
        target = corrupt_dir() / (file.filename().string() + "." + std::to_string(n));
    }
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

}  // namespace holdfast::queue
