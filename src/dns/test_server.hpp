#pragma once
// Test-only: a UDP DNS server on 127.0.0.1 (ephemeral port) in a thread,
// answering each query with what `answer` returns (nullopt = stay silent).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dns/message.hpp"

namespace holdfast::dns::test {

class Server {
  public:
    using Answer = std::function<std::optional<std::vector<std::uint8_t>>(const Message&)>;

    explicit Server(Answer answer) : answer_(std::move(answer)) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        timeval tv{0, 50000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        thread_ = std::thread([this] { serve(); });
    }
    ~Server() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    int queries() const { return queries_; }

  private:
    void serve() {
        while (!stop_) {
            std::uint8_t buf[512];
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            auto n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
            if (n <= 0) continue;
            ++queries_;
            auto q = parse_message({buf, static_cast<std::size_t>(n)});
            if (!q || q->questions.size() != 1) continue;
            if (auto reply = answer_(*q)) {
                ::sendto(fd_, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from),
                         flen);
            }
        }
    }

    Answer answer_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> queries_{0};
    std::thread thread_;
};

}  // namespace holdfast::dns::test
