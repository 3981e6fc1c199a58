// Spool recovery, run once by Spool::open before anything else touches the
// spool (the lock guarantees that). The rules are in docs/queue-format.md.
#include <spdlog/spdlog.h>

#include "mail/queue_id.hpp"
#include "queue/posix.hpp"
#include "queue/record.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;

namespace {
std::vector<fs::path> entries(const fs::path& dir, std::error_code& ec) {
    std::vector<fs::path> out;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        out.push_back(it->path());
    }
    return out;
}
}  // namespace

std::error_code Spool::recover() {
    std::error_code ec;
    // 1. tmp/ holds only writes that never completed (nothing was
    //    acknowledged for them): delete them all.
    for (const auto& p : entries(tmp_dir(), ec)) {
        fs::remove_all(p, ec);
        if (ec) return ec;
        ++recovery_.discarded_tmp;
    }
    if (ec) return ec;

    // 2. msg/: every file that parses and has the length its header
    //    promises is a message; anything else goes to corrupt/.
    for (const auto& p : entries(msg_dir(), ec)) {
        std::string name = p.filename().string();
        Envelope env;
        if (!mail::is_valid_queue_id(name)) {
            move_to_corrupt(p, "not a queue id");
        } else if (auto e = record::read_envelope(p, env)) {
            move_to_corrupt(p, e.message());
        } else if (env.id != name) {
            move_to_corrupt(p, "id in header differs from file name");
        } else {
            index_.emplace(name, std::move(env));
        }
    }
    if (ec) return ec;

    // 3. state/: newest recipient outcomes. An orphan (its message was being
    //    removed) is deleted; a bad one is set aside and the message keeps
    //    its original recipients: delivering twice beats losing mail.
    for (const auto& p : entries(state_dir(), ec)) {
        std::string name = p.filename().string();
        auto it = index_.find(name);
        if (it == index_.end()) {
            fs::remove(p, ec);
            if (ec) return ec;
            continue;
        }
        std::string text;
        Envelope env = it->second;
        std::error_code e = util::read_file(p, text);
        if (!e) e = record::decode_state(text, env);
        if (e) {
            move_to_corrupt(p, "state: " + e.message());
            continue;
        }
        it->second = std::move(env);
    }
    if (ec) return ec;

    // 4. A crash between writing the last outcome and removing the message:
    //    finish the removal now.
    for (auto it = index_.begin(); it != index_.end();) {
        if (it->second.has_pending()) {
            ++it;
            continue;
        }
        std::string id = it->first;
        ++it;
        if (auto e = remove_files(id)) return e;
        ++recovery_.finished;
    }
    recovery_.loaded = index_.size();
    for (const fs::path& d : {tmp_dir(), msg_dir(), state_dir(), corrupt_dir()}) {
        if (auto e = util::fsync_directory(d)) return e;
    }
    spdlog::info("spool: dir={} messages={} discarded_tmp={} corrupt={} finished={}", dir_.string(),
                 recovery_.loaded, recovery_.discarded_tmp, recovery_.corrupt, recovery_.finished);
    return {};
}

}  // namespace holdfast::queue
