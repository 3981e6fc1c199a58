// The resolver thread: owns the c-ares channel, watches its sockets with
// poll(), takes requests from a locked queue and is woken by an eventfd.
#include "dns/resolver.hpp"

#include <ares.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "dns/cache.hpp"
#include "dns/interpret.hpp"
#include "util/net.hpp"
#include "util/thread_name.hpp"

namespace holdfast::dns {
namespace {

constexpr int kClassIn = 1;

Errc from_ares(int status) {
    switch (status) {
        case ARES_ENOTFOUND:
            return Errc::nxdomain;
        case ARES_ENODATA:
            return Errc::no_data;
        case ARES_ESERVFAIL:
        case ARES_ECONNREFUSED:
            return Errc::server_failure;
        case ARES_EREFUSED:
            return Errc::refused;
        case ARES_ETIMEOUT:
            return Errc::timeout;
        case ARES_EBADNAME:
            return Errc::bad_name;
        case ARES_EBADRESP:
        case ARES_EFORMERR:
            return Errc::malformed;
        case ARES_ECANCELLED:
        case ARES_EDESTRUCTION:
            return Errc::cancelled;
        default:
            return Errc::failure;
    }
}

// "127.0.0.1:5353" / "[::1]:53" / "192.0.2.1" -> c-ares' CSV form. Only IP
// addresses: a resolver cannot resolve its own server's name.
std::string servers_csv(const std::vector<std::string>& servers) {
    std::string csv;
    for (const auto& s : servers) {
        auto hp = util::parse_host_port(s, 53);
        auto ip = hp ? util::parse_ip(hp->host) : std::nullopt;
        if (!ip) throw std::runtime_error("dns: bad server \"" + s + "\" (want IP or IP:PORT)");
        if (!csv.empty()) csv += ',';
        csv += ip->is_v4() ? ip->str() : "[" + ip->str() + "]";
        csv += ":" + std::to_string(hp->port);
    }
    return csv;
}

}  // namespace

ResolverOptions options_from(const config::Dns& dns) {
    ResolverOptions o;
    o.servers = dns.servers;
    o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(dns.timeout);
    o.tries = dns.tries;
    return o;
}

struct Resolver::Impl {
    struct Request {
        Impl* impl;
        std::string name;
        RrType type;
        Callback done;
    };

    ares_channel channel = nullptr;
    int wake_fd = -1;
    std::map<ares_socket_t, short> sockets;  // resolver thread only

    std::mutex mutex;  // guards the fields below
    std::deque<Request> pending;
    bool stopping = false;
    Cache cache;

    std::thread thread;

    explicit Impl(const ResolverOptions& o) : cache(o.cache_entries) {
        ares_library_init(ARES_LIB_INIT_ALL);
        ares_options opts{};
        opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
        opts.timeout = static_cast<int>(std::max<long>(o.timeout.count(), 1));
        opts.tries = static_cast<int>(std::max(o.tries, 1u));
        opts.sock_state_cb = &Impl::on_socket_state;
        opts.sock_state_cb_data = this;
        int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
        if (int rc = ares_init_options(&channel, &opts, mask); rc != ARES_SUCCESS) {
            throw std::runtime_error(std::string("dns: cannot start c-ares: ") + ares_strerror(rc));
        }
        if (!o.servers.empty()) {
            std::string csv;
            try {
                csv = servers_csv(o.servers);
            } catch (...) {
                ares_destroy(channel);
                throw;
            }
            if (int rc = ares_set_servers_ports_csv(channel, csv.c_str()); rc != ARES_SUCCESS) {
                ares_destroy(channel);
                throw std::runtime_error("dns: cannot use servers " + csv + ": " +
                                         ares_strerror(rc));
            }
        }
        wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd < 0) {
            ares_destroy(channel);
            throw std::runtime_error("dns: eventfd failed");
        }
        thread = std::thread([this] {
            util::name_this_thread("hf-dns");
            run();
        });
    }

    ~Impl() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake();
        thread.join();
        ::close(wake_fd);
        ares_library_cleanup();
    }

    void wake() const {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
    }

    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<Impl*>(data);
        if (!readable && !writable) {
            self->sockets.erase(fd);
        } else {
            self->sockets[fd] =
                static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
        }
    }

    static void on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
        std::unique_ptr<Request> req(static_cast<Request*>(arg));
        Result r;
        // With ARES_FLAG_NOCHECKRESP c-ares hands us SERVFAIL / REFUSED answers
        // too, and our parser reads the rcode itself (1.18's statuses fold
        // them together). The price: a SERVFAIL does not move on to the next
        // server; it is a temporary failure, and the caller retries later.
        bool gone = status == ARES_EDESTRUCTION || status == ARES_ECANCELLED;
        if (abuf && alen > 0 && !gone) {
            r = interpret_response({abuf, static_cast<std::size_t>(alen)}, req->name, req->type);
        } else {
            r.error = make_error_code(from_ares(status));
            r.answer.name = canonical_name(req->name);
            r.answer.type = req->type;
        }
        if (!gone) {
            std::lock_guard lock(req->impl->mutex);
            req->impl->cache.put(r, Cache::Clock::now());
        }
        req->done(std::move(r));
    }

    void issue(Request&& r) {
        auto* req = new Request(std::move(r));
        ares_query(channel, req->name.c_str(), kClassIn, static_cast<int>(req->type),
                   &Impl::on_answer, req);
    }

    void run() {
        std::vector<pollfd> fds;
        for (;;) {
            std::deque<Request> batch;
            bool stop = false;
            {
                std::lock_guard lock(mutex);
                batch.swap(pending);
                stop = stopping;
            }
            if (stop) {
                for (auto& r : batch) r.done(cancelled(r));
                break;
            }
            for (auto& r : batch) issue(std::move(r));

            fds.assign(1, pollfd{wake_fd, POLLIN, 0});
            for (auto [fd, events] : sockets) fds.push_back(pollfd{fd, events, 0});
            timeval tv{};
            int timeout_ms = -1;
            if (ares_timeout(channel, nullptr, &tv)) {
                timeout_ms = static_cast<int>(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
            }
            ::poll(fds.data(), fds.size(), timeout_ms);
            if (fds[0].revents & POLLIN) {
                std::uint64_t n;
                [[maybe_unused]] auto got = ::read(wake_fd, &n, sizeof n);
            }
            for (std::size_t i = 1; i < fds.size(); ++i) {
                short ev = fds[i].revents;
                if (!ev) continue;
                bool rd = ev & (POLLIN | POLLERR | POLLHUP);
                bool wr = ev & (POLLOUT | POLLERR | POLLHUP);
                ares_process_fd(channel, rd ? fds[i].fd : ARES_SOCKET_BAD,
                                wr ? fds[i].fd : ARES_SOCKET_BAD);
            }
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
        }
        ares_destroy(channel);  // completes what is in flight with ARES_EDESTRUCTION
    }

    static Result cancelled(const Request& r) {
        Result res;
        res.error = make_error_code(Errc::cancelled);
        res.answer.name = canonical_name(r.name);
        res.answer.type = r.type;
        return res;
    }
};

Resolver::Resolver(ResolverOptions options) : impl_(std::make_unique<Impl>(options)) {}

Resolver::~Resolver() = default;

void Resolver::async_query(std::string_view name, RrType type, Callback done) {
    Impl::Request req{impl_.get(), std::string(name), type, std::move(done)};
    if (name.empty() || name.find('\0') != std::string_view::npos || name.size() > 254) {
        Result r = Impl::cancelled(req);
        r.error = make_error_code(Errc::bad_name);
        req.done(std::move(r));
        return;
    }
    std::optional<Result> ready;  // completed outside the lock: the callback may query again
    {
        std::lock_guard lock(impl_->mutex);
        if (auto hit = impl_->cache.get(name, type, Cache::Clock::now())) {
            ready = std::move(hit);
        } else if (impl_->stopping) {
            ready = Impl::cancelled(req);
        } else {
            impl_->pending.push_back(std::move(req));
        }
    }
    if (ready) {
        req.done(std::move(*ready));
        return;
    }
    impl_->wake();
}

void Resolver::forget_negative(std::string_view domain) {
    std::lock_guard lock(impl_->mutex);
    impl_->cache.forget_negative(domain);
}

}  // namespace holdfast::dns
