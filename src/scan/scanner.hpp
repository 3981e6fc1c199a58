#pragma once
// Anti-virus and anti-spam at DATA (docs/scanning.md): after the client's
// final dot and before the reply, the message is streamed to clamd and
// rspamd at once, while the client waits; what they say decides the reply
// (scan/decision.hpp). Asio and Beast stay behind this header.
//
// Which messages: scan/selection.hpp. Larger than [scan] max_size: passed
// unscanned and logged. A scanner that is down, slow past its timeout or
// talks nonsense is an error, handled by [scan] on_error. One log line per
// scanned message, with the queue id, the decision and each scanner's time.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "policy/customer_domains.hpp"
#include "queue/envelope.hpp"
#include "smtp/protocol/reply.hpp"

namespace holdfast::queue {
class BodyFile;
}

namespace holdfast::scan {

struct Request {
    std::string queue_id;
    std::string client_ip;
    std::string helo;
    std::string auth_user;  // "" = not authenticated
    std::string sender;     // "" = null sender
    const std::vector<queue::Recipient>& recipients;
    // The message is DKIM-signed after the scan, Subject included: a spam
    // verdict then adds the X-Spam headers but leaves the Subject alone.
    bool keep_subject = false;
};

class Scanner {
  public:
    // `connections`: per scanner at once (read once: a reload keeps it).
    // `customers`: the store's customer domains and their scan flags (may be null).
    Scanner(boost::asio::any_io_executor ex, std::size_t connections,
            const policy::CustomerDomains* customers);
    ~Scanner();
    Scanner(const Scanner&) = delete;
    Scanner& operator=(const Scanner&) = delete;

    // The refusal to send (554 virus, 550 spam, 451 greylist or scanner
    // trouble), or nullopt: accepted, and then X-Spam-* headers (and a
    // tagged Subject) are already added to `message` (in memory) or to
    // `body` (the body file, when there is one; `message` is then empty).
    // `config` is the session's snapshot, read during the call only.
    boost::asio::awaitable<std::optional<smtp::Reply>> scan(const config::Config& config,
                                                            const Request& request,
                                                            std::string& message,
                                                            queue::BodyFile* body);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::scan
