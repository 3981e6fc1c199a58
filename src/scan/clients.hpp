#pragma once
// The two scanners' clients (Asio, private to scan/). Each scan is one
// exchange under the scanner's timeout; it never throws: a refused
// connection, a timeout or a reply that does not parse is Status::error
// with the reason.
#include <deque>
#include <mutex>
#include <string>

#include "scan/connection.hpp"
#include "scan/decision.hpp"
#include "scan/protocol.hpp"
#include "scan/source.hpp"

namespace holdfast::scan {

// clamd: zINSTREAM, the message sent in kChunkSize chunks straight from
// memory or the body file. clamd closes the connection after each stream,
// so connections are bounded, not kept.
class ClamdClient {
  public:
    ClamdClient(asio::any_io_executor ex, std::size_t connections);
    asio::awaitable<VirusResult> scan(std::string target, std::chrono::seconds timeout,
                                      const Source& source);

  private:
    asio::awaitable<ClamdReply> exchange(const std::string& target, const Source& source);
    asio::any_io_executor ex_;
    Limiter limiter_;
};

// rspamd: HTTP/1.1 POST /checkv2 (Beast), the body streamed in chunks with
// the envelope in request headers. Connections are kept alive and reused
// (a pool of at most `connections`); a reused one the server had closed is
// retried once on a fresh one.
class RspamdClient {
  public:
    RspamdClient(asio::any_io_executor ex, std::size_t connections);
    asio::awaitable<SpamResult> scan(std::string target, std::chrono::seconds timeout,
                                     const Source& source, RspamdEnvelope envelope);

  private:
    asio::awaitable<RspamdReply> exchange(const std::string& target, const Source& source,
                                          const RspamdEnvelope& envelope);
    asio::awaitable<RspamdReply> post(Socket& socket, bool& keep, const std::string& target,
                                      const Source& source, const RspamdEnvelope& envelope);
    std::optional<Socket> take_idle(const std::string& target);
    void give_back(const std::string& target, Socket socket);

    asio::any_io_executor ex_;
    Limiter limiter_;
    std::mutex mu_;                                    // guards idle_
    std::deque<std::pair<std::string, Socket>> idle_;  // kept-alive connections, by target
};

// Sends the source's bytes, chunk by chunk, each preceded by `frame(n)`
// (clamd's length) or nothing (HTTP).
asio::awaitable<void> send_source(Socket& socket, const Source& source, bool clamd_framing);

}  // namespace holdfast::scan
