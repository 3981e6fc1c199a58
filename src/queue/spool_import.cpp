// Import of a version 1 spool (one file per message: msg/<ID> and
// state/<ID>, Holdfast before the segment log) on the first start with the
// segment log: nothing that an older Holdfast acknowledged is left behind
// by an upgrade. docs/queue-format.md, "Recovery", step 6.
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
// Messages written to the log per flush during the import.
constexpr std::size_t kImportBatch = 256;

std::vector<fs::path> sorted_entries(const fs::path& dir, std::error_code& ec) {
    std::vector<fs::path> out;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        out.push_back(it->path());
    }
    std::sort(out.begin(), out.end());
    return out;
}
}  // namespace

std::error_code Spool::import_v1() {
    const fs::path tmp = dir_ / "tmp", msg = dir_ / "msg", state = dir_ / "state";
    std::error_code ec;
    if (!fs::exists(msg, ec) && !fs::exists(tmp, ec) && !fs::exists(state, ec)) return ec;
    // tmp/ held only writes that never completed: nothing was acknowledged.
    if (fs::exists(tmp, ec)) fs::remove_all(tmp, ec);
    if (ec) return ec;

    std::vector<Op> batch;
    std::vector<fs::path> imported_files;
    auto flush = [&]() -> std::error_code {
        if (!batch.empty()) append_and_commit(batch);
        for (const auto& op : batch) {
            // The files stay: imported again on the next start (the part of
            // this batch that did reach the log then twice: a duplicate at worst).
            if (op.ec) return op.ec;
        }
        for (const auto& f : imported_files) {
            // In the log now: a file left behind would be imported again
            // (a duplicate, not a loss), so it is worth a word, not a stop.
            std::error_code e;
            fs::remove(f, e);
            if (e) {
                spdlog::error("spool: imported {} but cannot remove it: {}", f.string(),
                              e.message());
            }
        }
        batch.clear();
        imported_files.clear();
        return {};
    };
    for (const auto& p : sorted_entries(msg, ec)) {
        const std::string id = p.filename().string();
        const fs::path state_file = state / id;
        Envelope env;
        if (!mail::is_valid_queue_id(id)) {
            move_to_corrupt(p, "not a queue id");
            continue;
        }
        std::string body;
        if (auto e = record::read_message_file(p, env, body)) {
            move_to_corrupt(p, e.message());
            continue;
        }
        if (env.id != id) {
            move_to_corrupt(p, "id in header differs from file name");
            continue;
        }
        std::string text;
        bool has_state = fs::exists(state_file);
        if (has_state) {
            Envelope with_state = env;
            std::error_code e = util::read_file(state_file, text);
            if (!e) e = record::decode_state(text, with_state);
            if (e) {
                // The message keeps its original recipient states: delivering
                // twice beats losing mail.
                move_to_corrupt(state_file, "state: " + e.message());
                has_state = false;
            } else {
                env = std::move(with_state);
            }
        }
        if (!env.has_pending()) {
            ++recovery_.finished;
            imported_files.push_back(p);  // nothing to import: removed with the batch's files
            imported_files.push_back(state_file);
            continue;
        }
        std::string head = record::envelope_json(env) + '\n';
        batch.push_back(make_op(RecordType::message, id, std::move(head), std::move(body)));
        batch.back().env = env;
        if (has_state) {
            batch.push_back(make_op(RecordType::state, id, id + '\n' + record::state_json(env)));
        }
        imported_files.push_back(p);
        imported_files.push_back(state_file);
        ++recovery_.imported;
        if (batch.size() >= kImportBatch) {
            if (auto e = flush()) return e;
        }
    }
    if (ec) return ec;
    if (auto e = flush()) return e;
    // Left in state/: outcomes of messages already gone (an interrupted
    // removal). What cannot be removed is only reported: the next start
    // looks again.
    std::error_code e;
    fs::remove_all(state, e);
    if (!e) fs::remove(msg, e);
    if (e) {
        spdlog::warn("spool: the version 1 directories in {} stay: {}", dir_.string(), e.message());
    }
    if ((ec = util::fsync_directory(dir_))) return ec;
    spdlog::info("spool: imported {} messages from the version 1 spool in {}", recovery_.imported,
                 dir_.string());
    return {};
}

}  // namespace holdfast::queue
