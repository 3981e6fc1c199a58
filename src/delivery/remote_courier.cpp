#include "delivery/remote_courier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "delivery/down_state.hpp"
#include "delivery/remote_courier_impl.hpp"
#include "dns/resolver.hpp"
#include "mail/address.hpp"
#include "metrics/events.hpp"
#include "util/file.hpp"
#include "util/thread_name.hpp"

namespace holdfast::delivery {

namespace asio = boost::asio;
using queue::RecipientKind;
using queue::RecipientState;

namespace {

queue::SchedulePolicy to_schedule(const config::QueuePolicy& q) {
    return {q.lifetime, q.retry_min, q.retry_max, q.delay_warning, q.probe_interval, q.concurrency};
}

}  // namespace

std::string domain_of(const std::string& address) {
    return queue::destination_domain(address);
}

std::vector<std::string> pending_remote(const queue::Envelope& env, const std::string& domain) {
    std::vector<std::string> out;
    for (const auto& r : env.recipients) {
        if (r.kind == RecipientKind::local || r.state != RecipientState::pending) continue;
        if (!domain.empty() && domain_of(r.address) != domain) continue;
        out.push_back(r.address);
    }
    return out;
}

RemoteSettings remote_settings_from(const config::Config& c) {
    RemoteSettings s;
    s.hostname = c.server.hostname;
    s.self = self_from(c);
    s.client.helo = c.server.hostname;
    const config::Delivery& d = c.delivery;
    s.client.timeouts = smtp::client::Timeouts{.connect = d.connect_timeout,
                                               .banner = d.greeting_timeout,
                                               .command = d.command_timeout,
                                               .mail = d.command_timeout,
                                               .rcpt = d.command_timeout,
                                               .data_init = d.data_init_timeout,
                                               .data_block = d.data_block_timeout,
                                               .data_end = d.data_done_timeout,
                                               .tls_handshake = d.tls_timeout};
    s.queue = c.queue;
    s.backups = c.backups;
    for (const auto& l : c.locals) s.local_domains.push_back(l.domain);
    s.hops = c.limits.hops;
    s.destinations_file = destinations_file(c.server.spool);
    return s;
}

RemoteCourier::Impl::Impl(asio::io_context& io, queue::Spool& sp, dns::Resolver& r,
                          RemoteSettings s)
    : spool(sp),
      resolver(r),
      settings(std::move(s)),
      scheduler(to_schedule(settings.queue)),
      strand(asio::make_strand(io)) {
    asio::post(large_reads, [] { util::name_this_thread("hf-remote-read"); });
    if (!settings.clock) settings.clock = [] { return std::chrono::system_clock::now(); };
    notices.hostname = settings.hostname;
    notices.local_domains = settings.local_domains;
    for (const auto& b : settings.backups) {
        notices.backup_domains.push_back(b.domain);
        scheduler.set_policy(mail::normalize_domain(b.domain), to_schedule(b.queue));
    }
}

std::string RemoteCourier::Impl::primary_for(const std::string& domain) const {
    for (const auto& b : settings.backups) {
        if (mail::normalize_domain(b.domain) == domain) return b.primary;
    }
    return "";
}

void RemoteCourier::Impl::schedule(const std::string& id) {
    if (auto env = spool.get(id)) schedule(*env);
}

Arrival arrival_of(const queue::Envelope& env) {
    Arrival a;
    a.id = env.id;
    a.arrival = env.arrival;
    a.next_attempt = env.next_attempt;
    a.warned = env.warned;
    a.attempts = env.attempts;
    if (env.held) return a;  // held: nothing until released (and enqueued again)
    for (const auto& r : env.recipients) {
        if (r.kind == RecipientKind::local || r.state != RecipientState::pending) continue;
        a.domains.push_back(domain_of(r.address));
    }
    std::sort(a.domains.begin(), a.domains.end());
    a.domains.erase(std::unique(a.domains.begin(), a.domains.end()), a.domains.end());
    return a;
}

void RemoteCourier::Impl::schedule(const queue::Envelope& env) {
    schedule(arrival_of(env));
}

void RemoteCourier::Impl::schedule(const Arrival& a) {
    // `warned` survives restarts: the one delay notice never goes twice.
    for (const auto& d : a.domains)
        scheduler.add(a.id, d, a.arrival, a.next_attempt, a.warned, a.attempts);
    if (!a.domains.empty()) kick();
}

// The same from the spool's index (start-up: no envelope is read).
void RemoteCourier::Impl::schedule(const queue::QueuedMessage& m) {
    if (m.held) return;
    const std::string id(m.id);
    const queue::PendingDestination* last = nullptr;
    for (const auto& p : m.pending) {
        // Sorted by domain: a domain with backup and relay recipients once.
        if (p.kind == RecipientKind::local || (last && last->domain == p.domain)) continue;
        scheduler.add(id, std::string(p.domain), m.arrival, m.next_attempt, m.warned, m.attempts);
        last = &p;
    }
    if (last) kick();
}

asio::awaitable<void> RemoteCourier::Impl::loop() {
    for (;;) {
        auto t = now();
        reap_idle();
        for (const auto& task : scheduler.due(t)) dispatch(task);
        auto next = scheduler.next_wakeup();
        auto wait = next ? std::chrono::duration_cast<std::chrono::milliseconds>(*next - t)
                         : std::chrono::milliseconds(std::chrono::hours(1));
        // At least a moment, at most an hour: a clock step cannot stall us.
        wait = std::clamp(wait, std::chrono::milliseconds(10),
                          std::chrono::milliseconds(std::chrono::hours(1)));
        if (!idle.empty()) wait = std::min<std::chrono::milliseconds>(wait, kIdleLimit / 2);
        wake.expires_after(wait);
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

void RemoteCourier::Impl::dispatch(const queue::Task& t) {
    switch (t.kind) {
        case queue::TaskKind::deliver:
        case queue::TaskKind::probe:
            asio::co_spawn(strand, attempt(t), asio::detached);
            break;
        case queue::TaskKind::expire:
            asio::co_spawn(strand, expire(t), asio::detached);
            break;
        case queue::TaskKind::warn:
            asio::co_spawn(strand, warn(t), asio::detached);
            break;
    }
}

// Lifetime over: what is still pending for this destination fails, and the
// sender hears about it (status 4.4.7, RFC 3463: delivery time expired).
asio::awaitable<void> RemoteCourier::Impl::expire(queue::Task t) {
    auto env = spool.get(t.id);
    if (!env) co_return;
    if (env->held) co_return;  // the scheduler already let go of it; release re-adds it
    std::string message;
    co_await load_message(*env, message);
    auto pending = pending_remote(*env, t.destination);
    std::map<std::string, std::string> last;
    for (const auto& r : env->recipients) last[r.address] = r.last_error;
    std::vector<dsn::RecipientStatus> report;
    auto t_now = now();
    for (const auto& a : pending) {
        dsn::RecipientStatus rs;
        rs.final_recipient = a;
        rs.action = dsn::Action::failed;
        rs.status = "4.4.7";
        rs.diagnostic = "message expired in the queue; last error: " +
                        (last[a].empty() ? std::string("none recorded") : last[a]);
        rs.last_attempt = t_now;
        report.push_back(rs);
        metrics::count_delivery("bounced");
        spdlog::warn("id={} from=<{}> to=<{}> status=bounced dsn=4.4.7 reason=expired", t.id,
                     env->sender, a);
    }
    auto ec = spool.modify_recipients(
        t.id, [&](std::vector<queue::Recipient>& rcpts, std::chrono::system_clock::time_point&) {
            for (auto& r : rcpts) {
                if (std::find(pending.begin(), pending.end(), r.address) == pending.end()) continue;
                if (r.state != RecipientState::pending) continue;
                r.state = RecipientState::failed;
                r.last_error = "expired: " + r.last_error;
            }
        });
    if (ec && ec != queue::Errc::no_such_message) {
        spdlog::error("id={} status=expire-not-recorded error=\"{}\"", t.id, ec.message());
    }
    queue_notice(spool, *env, message, std::move(report), notices, t_now);
}

asio::awaitable<void> RemoteCourier::Impl::warn(queue::Task t) {
    auto env = spool.get(t.id);
    if (!env) co_return;
    if (env->held || env->warned) co_return;  // held: no news; warned: once per message
    std::string message;
    co_await load_message(*env, message);
    // Read on another thread for a body file: a warning for the same
    // message from another destination may have been made meanwhile.
    if (env->body_file) {
        env = spool.get(t.id);
        if (!env || env->held || env->warned) co_return;
    }
    // One notice per message (the `warned` flag is the message's), so it
    // names every remote recipient still waiting, whatever its destination.
    std::vector<dsn::RecipientStatus> report;
    for (const auto& r : env->recipients) {
        if (r.kind == RecipientKind::local || r.state != RecipientState::pending) continue;
        const auto& p = scheduler.policy(domain_of(r.address));
        dsn::RecipientStatus rs;
        rs.final_recipient = r.address;
        rs.action = dsn::Action::delayed;
        rs.status = "4.4.7";
        rs.diagnostic = r.last_error.empty() ? "not delivered yet" : r.last_error;
        rs.last_attempt = now();
        rs.will_retry_until = env->arrival + p.lifetime;
        report.push_back(rs);
    }
    queue_notice(spool, *env, message, std::move(report), notices, now());
    // Recorded even when NOTIFY left nobody to tell: the decision is made.
    auto ec = spool.modify_state(t.id, [](queue::Envelope& e) { e.warned = true; });
    if (ec && ec != queue::Errc::no_such_message) {
        spdlog::error("id={} status=warned-not-recorded error=\"{}\"", t.id, ec.message());
    }
}

void RemoteCourier::Impl::load_down() {
    if (settings.destinations_file.empty()) return;
    std::string text;
    if (auto ec = util::read_file(settings.destinations_file, text)) {
        if (ec != std::errc::no_such_file_or_directory) {
            spdlog::error("file={} status=unreadable error=\"{}\" action=start-with-none-down",
                          settings.destinations_file.string(), ec.message());
        }
        return;
    }
    auto records = decode_down(text);
    if (!records) {
        spdlog::error("file={} status=corrupt action=start-with-none-down",
                      settings.destinations_file.string());
        return;
    }
    std::lock_guard lock(down_mu);
    for (const auto& r : *records) {
        scheduler.mark_down(r.destination, r.next_probe);
        down[r.destination] = saved[r.destination] = DownState{r.reason, r.next_probe};
        spdlog::info(
            "domain={} status=down next_probe_in={}s reason=\"{}\" (from before the restart)",
            r.destination,
            std::chrono::duration_cast<std::chrono::seconds>(r.next_probe - now()).count(),
            r.reason);
    }
}

void RemoteCourier::Impl::save_down() {
    if (settings.destinations_file.empty()) return;
    std::vector<DownRecord> records;
    {
        std::lock_guard lock(down_mu);
        if (down == saved) return;
        saved = down;
        for (const auto& [name, d] : down) records.push_back({name, d.reason, d.next_probe});
    }
    // Durable: the point is to survive kill -9. At most once per probe of
    // a down destination, and when one comes back.
    if (auto ec = util::write_file_durably(settings.destinations_file, encode_down(records))) {
        spdlog::error("file={} status=not-written error=\"{}\"",
                      settings.destinations_file.string(), ec.message());
    }
}

RemoteCourier::RemoteCourier(asio::io_context& io, queue::Spool& spool, dns::Resolver& resolver,
                             RemoteSettings settings)
    : impl_(std::make_unique<Impl>(io, spool, resolver, std::move(settings))) {}

RemoteCourier::~RemoteCourier() = default;

void RemoteCourier::start() {
    if (impl_->running) return;
    impl_->running = true;
    impl_->load_down();  // before any message is scheduled: no burst at a dead host
    impl_->spool.for_each(
        [impl = impl_.get()](const queue::QueuedMessage& m) { impl->schedule(m); });
    asio::co_spawn(impl_->strand, impl_->loop(), asio::detached);
}

void RemoteCourier::enqueue(const std::string& id) {
    asio::post(impl_->strand, [impl = impl_.get(), id] { impl->schedule(id); });
}

void RemoteCourier::enqueue(const queue::Envelope& env) {
    Arrival a = arrival_of(env);
    if (a.domains.empty()) return;  // local mail only (or held): nothing to schedule, no wake-up
    asio::post(impl_->strand, [impl = impl_.get(), a = std::move(a)] { impl->schedule(a); });
}

void RemoteCourier::set_backups(std::vector<config::BackupDomain> backups) {
    // Read on the courier's strand only (primary_for, the scheduler): changed there.
    asio::post(impl_->strand, [impl = impl_.get(), backups = std::move(backups)]() mutable {
        for (const auto& old : impl->settings.backups) {
            impl->scheduler.set_policy(mail::normalize_domain(old.domain),
                                       to_schedule(impl->settings.queue));
        }
        impl->notices.backup_domains.clear();
        for (const auto& b : backups) {
            impl->notices.backup_domains.push_back(b.domain);
            impl->scheduler.set_policy(mail::normalize_domain(b.domain), to_schedule(b.queue));
        }
        impl->settings.backups = std::move(backups);
    });
}

void RemoteCourier::flush(const std::string& domain) {
    // A "no such host" cached a minute ago must not make the flush useless.
    impl_->resolver.forget_negative(mail::normalize_domain(domain));
    asio::post(impl_->strand, [impl = impl_.get(), domain] {
        impl->scheduler.flush(impl->now(), mail::normalize_domain(domain));
        impl->kick();
    });
}

std::string RemoteCourier::down_reason(const std::string& domain) const {
    std::lock_guard lock(impl_->down_mu);
    auto it = impl_->down.find(mail::normalize_domain(domain));
    return it == impl_->down.end() ? "" : it->second.reason;
}

std::optional<std::chrono::system_clock::time_point> RemoteCourier::next_probe(
    const std::string& domain) const {
    std::lock_guard lock(impl_->down_mu);
    auto it = impl_->down.find(mail::normalize_domain(domain));
    if (it == impl_->down.end()) return std::nullopt;
    return it->second.next_probe;
}

bool RemoteCourier::in_flight(const std::string& id) const {
    std::lock_guard lock(impl_->down_mu);
    return impl_->flying.count(id) > 0;
}

}  // namespace holdfast::delivery
