#include <fmt/format.h>

#include <array>

#include "scan/clients.hpp"

namespace holdfast::scan {

using Clock = std::chrono::steady_clock;

asio::awaitable<void> send_source(Socket& socket, const Source& source, bool clamd_framing) {
    std::string chunk;
    for (std::uint64_t offset = 0; offset < source.size();) {
        if (auto e = source.read(offset, kChunkSize, chunk)) {
            throw boost::system::system_error(e.value(), boost::system::generic_category(),
                                              "reading the message");
        }
        if (chunk.empty()) break;
        std::string header;
        if (clamd_framing) header = clamd_chunk_header(static_cast<std::uint32_t>(chunk.size()));
        std::array<asio::const_buffer, 2> bufs{asio::buffer(header), asio::buffer(chunk)};
        co_await asio::async_write(socket, bufs, asio::use_awaitable);
        offset += chunk.size();
    }
}

ClamdClient::ClamdClient(asio::any_io_executor ex, std::size_t connections)
    : ex_(ex), limiter_(ex, connections) {}

asio::awaitable<ClamdReply> ClamdClient::exchange(const std::string& target, const Source& source) {
    auto permit = co_await limiter_.acquire();
    auto ep = endpoint_of(target);
    if (!ep) co_return ClamdReply{ClamdReply::Kind::error, "bad address " + target};
    Socket socket(ex_);
    co_await socket.async_connect(*ep, asio::use_awaitable);
    // clamd may answer before the stream ends (size limit exceeded) and
    // close: the reply is still read after a failed write.
    boost::system::error_code write_error;
    try {
        co_await asio::async_write(socket, asio::buffer(kClamdInstream), asio::use_awaitable);
        co_await send_source(socket, source, true);
        co_await asio::async_write(socket, asio::buffer(clamd_chunk_header(0)),
                                   asio::use_awaitable);
    } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;
        write_error = e.code();
    }
    std::string reply;
    char buf[256];
    for (;;) {
        auto [ec, n] =
            co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        reply.append(buf, n);
        if (reply.find('\0') != std::string::npos || reply.size() > kClamdMaxReply) break;
        if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
        if (ec) break;
    }
    if (reply.empty()) {
        co_return ClamdReply{ClamdReply::Kind::error,
                             write_error ? "sending: " + write_error.message()
                                         : std::string("connection closed without a reply")};
    }
    co_return parse_clamd_reply(reply);
}

asio::awaitable<VirusResult> ClamdClient::scan(std::string target, std::chrono::seconds timeout,
                                               const Source& source) {
    VirusResult r;
    auto start = Clock::now();
    try {
        auto reply = co_await within(exchange(target, source), timeout);
        if (!reply) {
            r.status = Status::error;
            r.error = fmt::format("timeout after {}s", timeout.count());
        } else {
            r.reply = std::move(*reply);
            r.status = r.reply.kind == ClamdReply::Kind::error ? Status::error : Status::ok;
            if (r.status == Status::error) r.error = r.reply.text;
        }
    } catch (const std::exception& e) {
        r.status = Status::error;
        r.error = e.what();
    }
    r.took = std::chrono::duration_cast<Millis>(Clock::now() - start);
    co_return r;
}

}  // namespace holdfast::scan
