#include "smtp/server/server.hpp"
#include "metrics/events.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include <list>
#include <mutex>

#include "smtp/server/session.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kAcceptLogEvery = std::chrono::seconds(10);
}  // namespace

struct Server::Impl {
    asio::io_context& io;
    SessionContext& ctx;
    std::list<tcp::acceptor> acceptors;
    // Every session started, until its Session object is gone (pruned as
    // sessions come and go).
    mutable std::mutex mu{};
    std::list<std::weak_ptr<Session>> sessions{};
    bool stopping = false;

    void track(const std::shared_ptr<Session>& s) {
        std::lock_guard lock(mu);
        std::erase_if(sessions, [](const auto& w) { return w.expired(); });
        sessions.push_back(s);
    }
    std::vector<std::shared_ptr<Session>> live() const {
        std::lock_guard lock(mu);
        std::vector<std::shared_ptr<Session>> out;
        for (const auto& w : sessions) {
            if (auto s = w.lock()) out.push_back(std::move(s));
        }
        return out;
    }

    asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, const config::Listen& listen) {
        // Failures are logged at most once per kAcceptLogEvery, with how many
        // were not (out of descriptors, they come every 100 ms).
        std::chrono::steady_clock::time_point last_log{};
        unsigned unlogged = 0;
        for (;;) {
            auto strand = asio::make_strand(io);
            auto [ec, socket] =
                co_await acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) {
                // EMFILE and friends: back off briefly instead of spinning.
                auto now = std::chrono::steady_clock::now();
                if (last_log == std::chrono::steady_clock::time_point{} ||
                    now - last_log >= kAcceptLogEvery) {
                    spdlog::error(
                        "listener={} status=accept-failed reason=\"{}\" failures_since_last_log={}",
                        listen.address, ec.message(), unlogged);
                    last_log = now;
                    unlogged = 0;
                } else {
                    ++unlogged;
                }
                asio::steady_timer t(io, std::chrono::milliseconds(100));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            // Replies go out in one write per pipelined group; do not let
            // Nagle hold the last one back.
            socket.set_option(tcp::no_delay(true), ec);
            metrics::events().smtp_connections.inc();
            auto session = std::make_shared<Session>(std::move(socket), ctx, listen);
            track(session);
            asio::co_spawn(strand, session->run(), asio::detached);
            bool late;
            {
                std::lock_guard lock(mu);
                late = stopping;
            }
            if (late) session->shutdown();  // accepted as stop() ran
        }
    }
};

Server::Server(asio::io_context& io, SessionContext& ctx) : impl_(new Impl{io, ctx, {}}) {}
Server::~Server() = default;

void Server::start() {
    for (const config::Listen& l : impl_->ctx.config.listen) {
        boost::system::error_code ec;
        auto address = asio::ip::make_address(l.host, ec);
        if (ec) throw std::runtime_error("listen address " + l.address + ": not an IP address");
        tcp::endpoint endpoint(address, l.port);
        tcp::acceptor& acceptor = impl_->acceptors.emplace_back(impl_->io);
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        // A small backlog drops connections under load (DESIGN "Speed").
        if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) throw std::runtime_error("cannot listen on " + l.address + ": " + ec.message());
        spdlog::info("listener={} role={} status=listening", l.address, config::role_name(l.role));
        asio::co_spawn(impl_->io, impl_->accept_loop(acceptor, l), asio::detached);
    }
}

void Server::stop() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
    }
    // The acceptors belong to the io_context's threads: closed there.
    asio::post(impl_->io, [impl = impl_.get()] {
        for (auto& a : impl->acceptors) {
            boost::system::error_code ignored;
            a.close(ignored);
        }
    });
    for (auto& s : impl_->live()) s->shutdown();
}

void Server::cut() {
    for (auto& s : impl_->live()) s->cut();
}

std::size_t Server::active() const {
    std::lock_guard lock(impl_->mu);
    return static_cast<std::size_t>(std::count_if(impl_->sessions.begin(), impl_->sessions.end(),
                                                  [](const auto& w) { return !w.expired(); }));
}

}  // namespace holdfast::smtp
