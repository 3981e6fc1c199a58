#pragma once
// A [[backup]] domain's `recipients_file`: one local part or full address a
// line, `#` comments, blank lines. The file is re-read when its size, mtime
// or inode changes, checked at most once a second (on RCPT). A file that
// cannot be read or parsed keeps the last good list: one edit in progress
// must not turn a customer's mail away.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::policy {

struct RecipientFileError {
    unsigned line = 0;  // 0: the file as a whole (cannot be read)
    std::string message;
};

// Parses the text: lower-cased local parts. A full address counts only for
// `domain` (another domain's address is an error: it cannot be meant here).
std::set<std::string> parse_recipient_file(std::string_view text, std::string_view domain,
                                           std::vector<RecipientFileError>& errors);

class RecipientFile {
  public:
    using Clock = std::chrono::steady_clock;

    // Reads the file now; errors (unreadable, malformed lines) say why it
    // cannot be used, and the list is then empty.
    RecipientFile(std::string path, std::string domain, std::vector<RecipientFileError>& errors);

    // Thread-safe. Re-reads the file first if it changed and a second has
    // passed since the last look.
    bool contains(std::string_view local, Clock::time_point now = Clock::now());

    const std::string& path() const { return path_; }
    std::size_t size();

  private:
    struct Stamp {
        std::int64_t mtime_ns = -1;
        std::int64_t size = -1;
        std::uint64_t inode = 0;
        bool operator==(const Stamp&) const = default;
    };
    // Reads and parses; on success replaces the list. Caller holds mu_.
    bool reload(std::vector<RecipientFileError>& errors);
    void refresh(Clock::time_point now);  // caller holds mu_

    std::string path_, domain_;
    std::mutex mu_;
    std::set<std::string> recipients_;
    Stamp stamp_;  // of the list we hold (or of the last bad version we saw)
    Clock::time_point last_check_{};
};

}  // namespace holdfast::policy
