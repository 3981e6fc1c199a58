// Spool::store and its group commit. One writer thread takes every store
// waiting at that moment, writes and fsyncs each file in tmp/, renames them
// all into msg/, fsyncs msg/ once for the whole batch, and only then tells
// each caller. Under load a batch grows by itself: the more sessions wait,
// the more share one directory fsync.
#include <linux/fs.h>  // RENAME_NOREPLACE
#include <stdio.h>     // renameat2

#include <spdlog/spdlog.h>

#include "mail/queue_id.hpp"
#include "queue/posix.hpp"
#include "queue/record.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;

void Spool::store(Envelope env, std::string message, std::function<void(std::error_code)> done) {
    env.size = message.size();
    // The state file's part starts empty: nothing but the message file is
    // written here.
    env.next_attempt = {};
    env.warned = env.held = false;
    std::error_code ec;
    if (!mail::is_valid_queue_id(env.id)) ec = Errc::bad_queue_id;  // it becomes a file name
    if (!ec) {
        std::lock_guard lock(pending_mu_);
        if (stopping_) {
            ec = Errc::shutting_down;
        } else {
            pending_.push_back({std::move(env), std::move(message), std::move(done), {}, false});
        }
    }
    if (ec) {
        if (done) done(ec);
        return;
    }
    pending_cv_.notify_one();
}

void Spool::writer_loop() {
    std::vector<PendingStore> batch;
    for (;;) {
        {
            std::unique_lock lock(pending_mu_);
            pending_cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
            if (pending_.empty()) return;  // stopping, and every accepted store is done
            batch.swap(pending_);
        }
        commit(batch);
        batch.clear();
    }
}

std::error_code Spool::write_temp(const PendingStore& p) const {
    {
        std::lock_guard lock(index_mu_);
        if (index_.count(p.env.id)) return Errc::duplicate_id;
    }
    fs::path tmp = tmp_dir() / p.env.id;
    return posix::write_synced(tmp.c_str(), record::encode_header(p.env), p.message);
}

namespace {
// rename that refuses to replace an existing message (ids are random, but a
// collision must never overwrite acknowledged mail).
int rename_noreplace(const fs::path& from, const fs::path& to) {
    int r = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
    if (r != 0 && errno == EINVAL) {  // file system without RENAME_NOREPLACE
        if (::access(to.c_str(), F_OK) == 0) {
            errno = EEXIST;
            return -1;
        }
        r = ::rename(from.c_str(), to.c_str());
    }
    return r;
}
}  // namespace

void Spool::commit(std::vector<PendingStore>& batch) {
    for (auto& p : batch) p.ec = write_temp(p);
    bool any = false;
    for (auto& p : batch) {
        if (p.ec) continue;
        fs::path tmp = tmp_dir() / p.env.id;
        if (rename_noreplace(tmp, msg_dir() / p.env.id) != 0) {
            p.ec = errno == EEXIST ? make_error_code(Errc::duplicate_id) : posix::last_error();
            ::unlink(tmp.c_str());
            continue;
        }
        p.renamed = any = true;
    }
    if (any) {
        if (auto ec = util::fsync_directory(msg_dir())) {
            // Durability unknown: refuse (the client retries) and try not to
            // deliver a copy the client will send again.
            for (auto& p : batch) {
                if (!p.renamed) continue;
                p.ec = ec;
                ::unlink((msg_dir() / p.env.id).c_str());
            }
        }
    }
    std::function<void(const std::string&)> on_stored;
    {
        std::lock_guard lock(index_mu_);
        for (const auto& p : batch) {
            if (!p.ec) index_[p.env.id] = p.env;
        }
        on_stored = on_stored_;
    }
    for (auto& p : batch) {
        if (p.ec) {
            spdlog::error("id={} from=<{}> status=store-failed error=\"{}\"", p.env.id,
                          p.env.sender, p.ec.message());
        } else {
            // The session logs the "status=queued" event with the client;
            // this is the spool's detail (how many shared the fsync).
            spdlog::debug("id={} size={} nrcpt={} batch={} status=stored", p.env.id, p.env.size,
                          p.env.recipients.size(), batch.size());
        }
        if (p.done) p.done(p.ec);
    }
    if (on_stored) {
        for (const auto& p : batch) {
            if (!p.ec) on_stored(p.env.id);
        }
    }
}

}  // namespace holdfast::queue
