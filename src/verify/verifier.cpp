#include "verify/verifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <random>

#include "delivery/next_hop_lookup.hpp"
#include "mail/address.hpp"
#include "smtp/client/session.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace holdfast::verify {

namespace asio = boost::asio;
using smtp::client::Outcome;

namespace {

// One probe, shared by every check of the same address while it runs.
struct Pending {
    std::mutex mu;
    bool done = false;
    Answer answer;
    std::vector<std::function<void()>> wake;  // each wakes one waiting check
};

std::string domain_of(const std::string& address) {
    auto at = address.rfind('@');
    return at == std::string::npos ? "" : mail::normalize_domain(address.substr(at + 1));
}

std::string key_of(const std::string& address) {
    return util::ascii_lower(address);
}

}  // namespace

struct Verifier::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::any_io_executor e, asio::any_io_executor b, dns::Resolver& r, Settings s)
        : ex(std::move(e)), blocking(std::move(b)), resolver(r), settings(std::move(s)) {
        if (!settings.clock) settings.clock = [] { return std::chrono::system_clock::now(); };
    }

    const config::BackupDomain* backup(const std::string& domain) const {
        for (const auto& b : settings.backups) {
            if (mail::normalize_domain(b.domain) == domain) return &b;
        }
        return nullptr;
    }

    asio::awaitable<Answer> probe(std::string address);
    void finish(const std::string& key, const std::string& domain,
                const std::shared_ptr<Pending>& p, Answer a);
    void schedule_save();
    std::error_code write_cache();

    asio::any_io_executor ex, blocking;
    dns::Resolver& resolver;
    Settings settings;
    std::mutex mu;  // guards everything below
    Cache cache;
    std::map<std::string, std::shared_ptr<Pending>> inflight;
    std::mt19937 rng{std::random_device{}()};
    bool dirty = false;   // the cache changed since the last write began
    bool saving = false;  // a write is queued or running
};

namespace {

// Named coroutine with by-value parameters (GCC 12 and capturing lambdas).
asio::awaitable<void> run_probe(std::shared_ptr<Verifier::Impl> impl, std::string address,
                                std::string key, std::shared_ptr<Pending> p) {
    Answer a;
    try {
        a = co_await impl->probe(address);
    } catch (const std::exception& e) {
        a = Answer{Verdict::unknown, false, std::string("probe failed: ") + e.what()};
    }
    impl->finish(key, domain_of(address), p, std::move(a));
}

// Verdict from the primary's reply to RCPT. 552 at RCPT means "too many
// recipients" and is to be taken as temporary (RFC 5321 4.5.3.1.10).
Verdict verdict_of(const smtp::client::RecipientCheck& r) {
    if (!r.at_rcpt || r.status.code == 0) return Verdict::unknown;
    if (r.status.code >= 200 && r.status.code < 300) return Verdict::good;
    if (r.status.code >= 500 && r.status.code != 552) return Verdict::bad;
    return Verdict::unknown;
}

}  // namespace

asio::awaitable<Answer> Verifier::Impl::probe(std::string address) {
    std::string domain = domain_of(address);
    const config::BackupDomain* b = backup(domain);
    if (!b) co_return Answer{Verdict::unknown, false, "not a backup domain"};
    std::uint32_t seed;
    {
        std::lock_guard lock(mu);
        seed = static_cast<std::uint32_t>(rng());
    }
    delivery::NextHops hops =
        co_await delivery::find_next_hops(resolver, domain, settings.self, b->primary, seed);
    if (!hops.ok()) co_return Answer{Verdict::unknown, false, hops.reason};
    smtp::client::Options o;
    o.helo = settings.helo;
    // Each stage may take the whole deadline; the waiting RCPT gives up at
    // the deadline anyway, and a late answer still goes into the cache.
    auto& t = o.timeouts;
    t.connect = t.banner = t.command = t.mail = t.rcpt = t.tls_handshake = settings.deadline;
    auto executor = co_await asio::this_coro::executor;
    std::string last = "no primary host answered";
    for (const auto& hop : hops.hops) {
        for (const auto& ip : hop.addresses) {
            auto opened =
                co_await smtp::client::Session::open(executor, hop.host, {ip, hop.port}, o);
            if (!opened.session) {
                last = opened.status.text;
                continue;
            }
            auto r = co_await opened.session->check_recipient(address);
            co_await opened.session->quit();
            if (r.status.code == 0) {
                last = r.status.text;
                continue;
            }
            // A host that answers speaks for the domain: no second opinion.
            std::string said = fmt::format("{} said: {}", opened.session->remote(), r.status.text);
            co_return Answer{verdict_of(r), false, said};
        }
    }
    co_return Answer{Verdict::unknown, false, last};
}

void Verifier::Impl::finish(const std::string& key, const std::string& domain,
                            const std::shared_ptr<Pending>& p, Answer a) {
    bool changed = false;
    {
        std::lock_guard lock(mu);
        inflight.erase(key);
        const config::BackupDomain* b = backup(domain);
        if (b && a.verdict != Verdict::unknown) {
            auto keep = a.verdict == Verdict::good ? b->verify_good_for : b->verify_bad_for;
            cache.put(key, a.verdict, settings.clock() + keep);
            dirty = changed = true;
        }
    }
    std::vector<std::function<void()>> wake;
    {
        std::lock_guard lock(p->mu);
        p->done = true;
        p->answer = std::move(a);
        wake.swap(p->wake);
    }
    for (auto& w : wake) w();
    if (changed) schedule_save();
}

// One write at a time; answers that arrive meanwhile go out with the next
// write, so a burst of probes costs a few writes, not one each.
void Verifier::Impl::schedule_save() {
    if (settings.cache_file.empty()) return;
    {
        std::lock_guard lock(mu);
        if (saving) return;
        saving = true;
    }
    asio::post(blocking, [self = shared_from_this()] {
        for (;;) {
            if (auto ec = self->write_cache()) {
                spdlog::error("verify_cache={} status=write-failed reason=\"{}\"",
                              self->settings.cache_file.string(), ec.message());
            }
            std::lock_guard lock(self->mu);
            if (!self->dirty) {
                self->saving = false;
                return;
            }
        }
    });
}

std::error_code Verifier::Impl::write_cache() {
    std::string text;
    {
        std::lock_guard lock(mu);
        cache.purge(settings.clock());
        text = cache.to_json();
        dirty = false;
    }
    return util::write_file_durably(settings.cache_file, text);
}

Settings settings_from(const config::Config& c) {
    Settings s;
    s.helo = c.server.hostname;
    s.self = delivery::self_from(c);
    s.backups = c.backups;
    s.cache_file = std::filesystem::path(c.server.spool) / "verify-cache.json";
    return s;
}

Verifier::Verifier(asio::any_io_executor ex, asio::any_io_executor blocking,
                   dns::Resolver& resolver, Settings settings)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(blocking), resolver,
                                   std::move(settings))) {}

Verifier::~Verifier() {
    bool dirty;
    {
        std::lock_guard lock(impl_->mu);
        dirty = impl_->dirty;
    }
    if (dirty) save();
}

std::error_code Verifier::load() {
    const auto& file = impl_->settings.cache_file;
    if (file.empty()) return {};
    std::string text;
    if (auto ec = util::read_file(file, text)) {
        if (ec == std::errc::no_such_file_or_directory) return {};
        return ec;
    }
    auto cache = Cache::from_json(text, impl_->settings.clock());
    if (!cache) return std::make_error_code(std::errc::illegal_byte_sequence);
    std::lock_guard lock(impl_->mu);
    impl_->cache = std::move(*cache);
    return {};
}

std::error_code Verifier::save() {
    if (impl_->settings.cache_file.empty()) return {};
    return impl_->write_cache();
}

asio::awaitable<Answer> Verifier::check(std::string address) {
    std::string key = key_of(address);
    std::shared_ptr<Pending> p;
    bool start = false;
    {
        std::lock_guard lock(impl_->mu);
        if (auto v = impl_->cache.find(key, impl_->settings.clock())) {
            co_return Answer{*v, true, "cached"};
        }
        auto it = impl_->inflight.find(key);
        if (it != impl_->inflight.end()) {
            p = it->second;
        } else if (impl_->inflight.size() >= impl_->settings.max_probes) {
            co_return Answer{Verdict::unknown, false, "too many recipient checks in progress"};
        } else {
            p = std::make_shared<Pending>();
            impl_->inflight.emplace(key, p);
            start = true;
        }
    }
    if (start) {
        asio::co_spawn(asio::make_strand(impl_->ex), run_probe(impl_, address, key, p),
                       asio::detached);
    }
    // Wait for the probe, or the deadline, whichever comes first. The wake
    // is posted to our own executor, where the timer lives.
    auto ex = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(ex, impl_->settings.deadline);
    bool wait = false;
    {
        std::lock_guard lock(p->mu);
        if (!p->done) {
            p->wake.push_back([ex, timer] { asio::post(ex, [timer] { timer->cancel(); }); });
            wait = true;
        }
    }
    if (wait) co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard lock(p->mu);
    if (p->done) co_return p->answer;
    co_return Answer{
        Verdict::unknown, false,
        fmt::format("no answer from the primary within {} ms", impl_->settings.deadline.count())};
}

asio::awaitable<bool> Verifier::is_primary(std::string domain, util::IpAddress client) {
    domain = mail::normalize_domain(domain);
    const config::BackupDomain* b = impl_->backup(domain);
    if (!b) co_return false;
    std::uint32_t seed;
    {
        std::lock_guard lock(impl_->mu);
        seed = static_cast<std::uint32_t>(impl_->rng());
    }
    delivery::NextHops hops = co_await delivery::find_next_hops(
        impl_->resolver, domain, impl_->settings.self, b->primary, seed);
    for (const auto& hop : hops.hops) {
        for (const auto& a : hop.addresses) {
            if (a == client) co_return true;
        }
    }
    co_return false;
}

}  // namespace holdfast::verify
