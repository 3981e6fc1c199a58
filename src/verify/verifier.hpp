#pragma once
// Asks a backup domain's primary whether a recipient exists, for RCPT on a
// `verify = true` [[backup]] domain, and whether a client is that primary
// (for ETRN). The primary is found as the courier finds it (the `primary`
// override, else the MX hosts better than us: never ourselves).
//
//     Answer a = co_await verifier.check("alice@customer.test");
//
// A fresh cached answer is used without asking. Otherwise one probe per
// address (concurrent checks share it): EHLO, MAIL FROM:<>, RCPT TO, RSET,
// QUIT. 2xx = good, 5xx = bad, anything else (4xx, no connection, timeout)
// = unknown: the primary is down. A caller waits at most `deadline`; the
// probe goes on and caches what it learns. Good and bad answers are kept in
// the cache file (written atomically), so they survive a restart.
// Only Asio's light awaitable/executor headers are included here.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "config/config.hpp"
#include "delivery/next_hop.hpp"
#include "util/net.hpp"
#include "verify/cache.hpp"

namespace holdfast::dns {
class Resolver;
}

namespace holdfast::verify {

struct Settings {
    std::string helo;                           // our host name
    delivery::Self self;                        // for the backup-MX cut
    std::vector<config::BackupDomain> backups;  // primary, verify_good_for, verify_bad_for
    std::filesystem::path cache_file;           // "" = remember in memory only
    std::chrono::milliseconds deadline{5000};   // how long a RCPT waits for an answer
    std::size_t max_probes = 20;                // probes in flight; beyond: unknown at once
    std::function<std::chrono::system_clock::time_point()> clock;  // tests shift it
};

// Settings from the config: helo, self, backups, <spool>/verify-cache.json.
Settings settings_from(const config::Config& c);

struct Answer {
    Verdict verdict = Verdict::unknown;
    bool cached = false;  // from the cache, no probe
    std::string detail;   // the primary's reply, or why there is none
};

class Verifier {
  public:
    // Probes run on `ex` (each on a strand of its own); cache writes on
    // `blocking` (they fsync).
    Verifier(boost::asio::any_io_executor ex, boost::asio::any_io_executor blocking,
             dns::Resolver& resolver, Settings settings);
    ~Verifier();  // writes the cache if it changed since the last write
    Verifier(const Verifier&) = delete;
    Verifier& operator=(const Verifier&) = delete;

    // Reads the cache file; a missing file is an empty cache. An unreadable
    // or malformed one is reported and the cache starts empty.
    std::error_code load();

    // Thread-safe; completes on the caller's executor (which must be a
    // strand or single-threaded, as a session's is).
    boost::asio::awaitable<Answer> check(std::string address);

    // Whether `client` is one of `domain`'s primary hosts (for ETRN).
    boost::asio::awaitable<bool> is_primary(std::string domain, util::IpAddress client);

    // Writes the cache now (blocking). For shutdown and tests.
    std::error_code save();

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace holdfast::verify
