#include "smtp/server/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include <algorithm>
#include <list>
#include <mutex>

#include "metrics/events.hpp"
#include "smtp/server/session.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kAcceptLogEvery = std::chrono::seconds(10);

// One listening address. Its settings change on a reload (read under the
// server's mutex); the accept loop shares ownership, so a listener dropped
// by a reload lives until its loop has seen the acceptor close.
struct Listener {
    Listener(asio::io_context& io, config::Listen l) : acceptor(io), listen(std::move(l)) {}
    tcp::acceptor acceptor;
    config::Listen listen;
    // The address bound: a session's local address when it is not a
    // wildcard (no getsockname per connection then).
    asio::ip::address bound{};
};

// Opens, binds and listens on `l`; the error names the address.
std::string bind_listener(Listener& listener) {
    const config::Listen& l = listener.listen;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(l.host, ec);
    if (ec) return "listen address " + l.address + ": not an IP address";
    tcp::endpoint endpoint(address, l.port);
    tcp::acceptor& acceptor = listener.acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    // Replies go out in one write per pipelined group; do not let Nagle
    // hold the last one back. Set here, accepted sockets inherit it (Linux):
    // no setsockopt per connection.
    if (!ec) acceptor.set_option(tcp::no_delay(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    // A small backlog drops connections under load (DESIGN "Speed").
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return "cannot listen on " + l.address + ": " + ec.message();
    listener.bound = address;
    return "";
}
}  // namespace

struct Server::Impl {
    asio::io_context& io;
    SessionContext& ctx;
    std::list<std::shared_ptr<Listener>> listeners;  // under mu
    // Every session started, until its Session object is gone. Pruned when
    // the list has doubled since the last pruning, not at every accept: with
    // 100,000 sessions open a full walk per new connection would make
    // accepting them quadratic. The list holds at most about twice the
    // sessions alive.
    mutable std::mutex mu{};
    std::list<std::weak_ptr<Session>> sessions{};
    std::size_t size_after_pruning = 0;
    bool stopping = false;

    void track(const std::shared_ptr<Session>& s) {
        std::lock_guard lock(mu);
        if (sessions.size() >= 2 * std::max<std::size_t>(size_after_pruning, 64)) {
            std::erase_if(sessions, [](const auto& w) { return w.expired(); });
            size_after_pruning = sessions.size();
        }
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

    config::Listen settings_of(const Listener& l) const {
        std::lock_guard lock(mu);
        return l.listen;
    }

    void run(std::shared_ptr<Listener> l) {
        const config::Listen& s = l->listen;
        spdlog::info("listener={} role={} status=listening", s.address, config::role_name(s.role));
        asio::co_spawn(io, accept_loop(std::move(l)), asio::detached);
    }

    asio::awaitable<void> accept_loop(std::shared_ptr<Listener> listener) {
        tcp::acceptor& acceptor = listener->acceptor;
        // Failures are logged at most once per kAcceptLogEvery, with how many
        // were not (out of descriptors, they come every 100 ms).
        std::chrono::steady_clock::time_point last_log{};
        unsigned unlogged = 0;
        for (;;) {
            auto strand = asio::make_strand(io);
            // The peer's address comes with the accept: no getpeername.
            tcp::endpoint peer;
            auto [ec, socket] =
                co_await acceptor.async_accept(strand, peer, asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) {
                // EMFILE and friends: back off briefly instead of spinning.
                auto now = std::chrono::steady_clock::now();
                if (last_log == std::chrono::steady_clock::time_point{} ||
                    now - last_log >= kAcceptLogEvery) {
                    spdlog::error(
                        "listener={} status=accept-failed reason=\"{}\" failures_since_last_log={}",
                        settings_of(*listener).address, ec.message(), unlogged);
                    last_log = now;
                    unlogged = 0;
                } else {
                    ++unlogged;
                }
                asio::steady_timer t(io, std::chrono::milliseconds(100));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            metrics::events().smtp_connections.inc();
            auto session = std::make_shared<Session>(std::move(socket), ctx, settings_of(*listener),
                                                     peer, listener->bound);
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
    for (const config::Listen& l : impl_->ctx.settings()->config->listen) {
        auto listener = std::make_shared<Listener>(impl_->io, l);
        if (auto e = bind_listener(*listener); !e.empty()) throw std::runtime_error(e);
        {
            std::lock_guard lock(impl_->mu);
            impl_->listeners.push_back(listener);
        }
        impl_->run(std::move(listener));
    }
}

std::string Server::reconfigure(const std::vector<config::Listen>& listen) {
    std::vector<std::shared_ptr<Listener>> added;
    {
        std::lock_guard lock(impl_->mu);
        if (impl_->stopping) return "stopping";
        for (const config::Listen& l : listen) {
            bool known = std::any_of(impl_->listeners.begin(), impl_->listeners.end(),
                                     [&](const auto& x) { return x->listen.address == l.address; });
            if (!known) added.push_back(std::make_shared<Listener>(impl_->io, l));
        }
    }
    // Bound before anything changes: a port that is taken (or privileged,
    // now that we are not root) leaves the old listeners as they were.
    for (auto& l : added) {
        if (auto e = bind_listener(*l); !e.empty()) {
            for (auto& other : added) {
                boost::system::error_code ignored;
                other->acceptor.close(ignored);
            }
            return e;
        }
    }
    std::vector<std::shared_ptr<Listener>> gone;
    {
        std::lock_guard lock(impl_->mu);
        for (auto it = impl_->listeners.begin(); it != impl_->listeners.end();) {
            auto now = std::find_if(listen.begin(), listen.end(), [&](const config::Listen& l) {
                return l.address == (*it)->listen.address;
            });
            if (now == listen.end()) {
                gone.push_back(*it);
                it = impl_->listeners.erase(it);
            } else {
                (*it)->listen = *now;  // a new role applies to the next connection
                ++it;
            }
        }
        for (auto& l : added) impl_->listeners.push_back(l);
    }
    for (auto& l : added) impl_->run(l);
    // The acceptors belong to the io_context's threads: closed there.
    asio::post(impl_->io, [gone = std::move(gone)] {
        for (const auto& l : gone) {
            boost::system::error_code ignored;
            l->acceptor.close(ignored);
            spdlog::info("listener={} status=closed reason=reload", l->listen.address);
        }
    });
    return "";
}

void Server::stop() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
    }
    // The acceptors belong to the io_context's threads: closed there.
    std::list<std::shared_ptr<Listener>> listeners;
    {
        std::lock_guard lock(impl_->mu);
        listeners = impl_->listeners;
    }
    asio::post(impl_->io, [listeners = std::move(listeners)] {
        for (const auto& l : listeners) {
            boost::system::error_code ignored;
            l->acceptor.close(ignored);
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
