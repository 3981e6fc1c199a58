#include "policy/recipient_file.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "mail/address.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace holdfast::policy {

namespace {

constexpr auto kCheckEvery = std::chrono::seconds(1);

// "alice   # Alice Smith" -> "alice": a comment starts at a '#' that begins
// the line or follows white space ('#' is legal inside a local part).
std::string_view strip_comment(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
            return line.substr(0, i);
        }
    }
    return line;
}

bool has_space_or_control(std::string_view s) {
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f) return true;
    }
    return false;
}

}  // namespace

std::set<std::string> parse_recipient_file(std::string_view text, std::string_view domain,
                                           std::vector<RecipientFileError>& errors) {
    std::set<std::string> out;
    std::string wanted = mail::normalize_domain(std::string(domain));
    unsigned number = 0;
    for (std::string_view line : util::split(text, '\n')) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::string_view entry = util::trim(strip_comment(line));
        if (entry.empty()) continue;
        if (has_space_or_control(entry)) {
            errors.push_back({number, "expected one local part or address, got \"" +
                                          util::printable(entry, 80) + "\""});
            continue;
        }
        std::string local(entry);
        if (auto at = entry.rfind('@'); at != std::string_view::npos) {
            std::string_view d = entry.substr(at + 1);
            local = std::string(entry.substr(0, at));
            if (local.empty() || d.empty()) {
                errors.push_back({number, "\"" + util::printable(entry, 80) +
                                              "\" is not an address (local@domain)"});
                continue;
            }
            if (mail::normalize_domain(std::string(d)) != wanted) {
                errors.push_back({number, "\"" + util::printable(entry, 80) +
                                              "\" is not in the domain " + wanted});
                continue;
            }
        }
        out.insert(util::fold_local_part(local));
    }
    return out;
}

RecipientFile::RecipientFile(std::string path, std::string domain,
                             std::vector<RecipientFileError>& errors)
    : path_(std::move(path)), domain_(std::move(domain)) {
    std::lock_guard lock(mu_);
    reload(errors);
    last_check_ = Clock::now();
}

bool RecipientFile::reload(std::vector<RecipientFileError>& errors) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
        errors.push_back({0, "cannot be read: " + std::string(std::strerror(errno))});
        return false;
    }
    Stamp seen{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
               static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
    // A version that fails is not read again until it changes once more.
    stamp_ = seen;
    std::string text;
    if (auto ec = util::read_file(path_, text)) {
        errors.push_back({0, "cannot be read: " + ec.message()});
        return false;
    }
    std::size_t before = errors.size();
    auto parsed = parse_recipient_file(text, domain_, errors);
    if (errors.size() != before) return false;
    recipients_ = std::move(parsed);
    return true;
}

void RecipientFile::refresh(Clock::time_point now) {
    if (now - last_check_ < kCheckEvery) return;
    last_check_ = now;
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
        // Keep serving the last good list; say so once, not every second.
        static const Stamp kMissing{-2, -2, 0};
        if (stamp_ != kMissing) {
            spdlog::error(
                "recipients_file={} status=unreadable reason=\"{}\" action=kept-last-list", path_,
                std::strerror(errno));
        }
        stamp_ = kMissing;
        return;
    }
    Stamp seen{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
               static_cast<std::int64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)};
    if (seen == stamp_) return;
    std::vector<RecipientFileError> errors;
    if (reload(errors)) {
        spdlog::info("recipients_file={} domain={} status=reloaded recipients={}", path_, domain_,
                     recipients_.size());
        return;
    }
    for (const auto& e : errors) {
        spdlog::error(
            "recipients_file={} line={} status=invalid reason=\"{}\" action=kept-last-list", path_,
            e.line, e.message);
    }
}

bool RecipientFile::contains(std::string_view local, Clock::time_point now) {
    std::lock_guard lock(mu_);
    refresh(now);
    return recipients_.contains(util::fold_local_part(local));
}

std::size_t RecipientFile::size() {
    std::lock_guard lock(mu_);
    return recipients_.size();
}

}  // namespace holdfast::policy
