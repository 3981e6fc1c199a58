#pragma once
// LMTP delivery (RFC 2033) to a local mail store such as Dovecot, for the
// local courier's thread: synchronous on the outside, the outbound SMTP
// client (smtp/client, Options::lmtp) inside, on an io_context of its own.
// One transaction per message carries all its recipients for one target,
// and the store answers for each one. A connection stays open between
// messages while the courier has more to deliver (close_idle() ends it),
// so a burst of mail does not pay a connect and LHLO per message.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/types.hpp"

namespace holdfast::delivery {

// "unix:/run/dovecot/lmtp" or "host:port" (host a literal address or a name
// the system resolver knows, e.g. localhost); nullopt if neither.
struct LmtpTarget {
    smtp::client::Endpoint endpoint;  // for host:port
    std::string unix_socket;          // for unix:PATH
};
std::optional<LmtpTarget> parse_lmtp_target(std::string_view target);

struct LmtpSettings {
    std::string hostname;  // sent in LHLO
    smtp::client::Timeouts timeouts = default_timeouts();
    static smtp::client::Timeouts default_timeouts();
};

class LmtpClient {
  public:
    explicit LmtpClient(LmtpSettings settings);
    ~LmtpClient();
    LmtpClient(const LmtpClient&) = delete;
    LmtpClient& operator=(const LmtpClient&) = delete;

    // Per recipient, in the order given. A target that cannot be used
    // (refused, timed out, unparsable) defers every recipient.
    std::vector<smtp::client::RecipientResult> deliver(const std::string& target,
                                                       const smtp::client::Message& message);
    // QUITs and closes every open connection.
    void close_idle();

    struct Impl;  // public only for lmtp_client.cpp's coroutines

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace holdfast::delivery
