// One delivery attempt for one message and one destination domain: next
// hops, then the SMTP client host by host until one of them gives
// replies, then the outcomes recorded in the spool, told to the scheduler,
// and bounced where they failed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "delivery/next_hop_lookup.hpp"
#include "delivery/remote_courier_impl.hpp"
#include "mail/hops.hpp"
#include "metrics/events.hpp"
#include "smtp/client/session.hpp"

namespace holdfast::delivery {

namespace asio = boost::asio;
using queue::RecipientState;
using smtp::client::Outcome;

namespace {

// What the sender asked about `address` (RFC 3461), for the next hop.
smtp::client::Message::RecipientDsn dsn_of(const queue::Envelope& env, const std::string& address) {
    for (const auto& r : env.recipients) {
        if (r.address == address) return {r.notify, r.orcpt};
    }
    return {};
}

bool all_without_reply(const smtp::client::Result& r) {
    for (const auto& rr : r.recipients) {
        if (rr.status.code != 0) return false;
    }
    return true;
}

}  // namespace

std::unique_ptr<smtp::client::Session> RemoteCourier::Impl::take_idle(const std::string& key) {
    for (auto it = idle.find(key); it != idle.end() && it->first == key;) {
        auto s = std::move(it->second.session);
        it = idle.erase(it);
        if (s->usable()) return s;
    }
    return nullptr;
}

void RemoteCourier::Impl::park(const std::string& key, std::unique_ptr<smtp::client::Session> s,
                               const std::string& domain) {
    // Up to `concurrency` per host: as many as may be busy at once, so a
    // slow primary never sees connections closed and opened again.
    if (idle.count(key) >= std::max<std::size_t>(1, scheduler.policy(domain).concurrency)) {
        asio::co_spawn(strand, close(std::move(s)), asio::detached);
        return;
    }
    idle.emplace(key, Idle{std::move(s), std::chrono::steady_clock::now()});
}

void RemoteCourier::Impl::reap_idle() {
    auto limit = std::chrono::steady_clock::now() - kIdleLimit;
    for (auto it = idle.begin(); it != idle.end();) {
        if (it->second.since > limit) {
            ++it;
            continue;
        }
        asio::co_spawn(strand, close(std::move(it->second.session)), asio::detached);
        it = idle.erase(it);
    }
}

asio::awaitable<void> RemoteCourier::Impl::close(std::unique_ptr<smtp::client::Session> s) {
    co_await s->quit();
}

asio::awaitable<std::map<std::string, RemoteOutcome>> RemoteCourier::Impl::deliver(
    const queue::Envelope& env, const std::string& message, std::string domain,
    std::vector<std::string> recipients, bool* connected) {
    std::map<std::string, RemoteOutcome> out;
    auto all = [&](const smtp::client::Status& s, const std::string& remote) {
        for (const auto& a : recipients) out[a] = {s, remote, false};
    };
    NextHops hops = co_await find_next_hops(resolver, domain, settings.self, primary_for(domain),
                                            static_cast<std::uint32_t>(rng()));
    if (!hops.ok()) {
        if (hops.verdict == HopVerdict::we_are_best) {
            spdlog::critical("id={} domain={} status=held reason=\"{}\"", env.id, domain,
                             hops.reason);
        }
        Outcome o = hops.verdict == HopVerdict::permanent ? Outcome::failed : Outcome::deferred;
        all({o, 0, hops.dsn, hops.reason}, "");
        *connected = hops.verdict == HopVerdict::we_are_best;  // DNS answered; no probe cadence
        co_return out;
    }
    auto ex = co_await asio::this_coro::executor;
    smtp::client::Status last{Outcome::deferred, 0, "4.4.1", "no host tried"};
    for (const auto& hop : hops.hops) {
        for (const auto& address : hop.addresses) {
            std::string key = fmt::format("{}|{}|{}", hop.host, address.str(), hop.port);
            // A parked connection first; if it turns out dead, one fresh one.
            for (int tries = 0; tries < 2; ++tries) {
                auto session = take_idle(key);
                bool reused = session != nullptr;
                if (!session) {
                    auto opened = co_await smtp::client::Session::open(
                        ex, hop.host, {address, hop.port}, settings.client);
                    if (!opened.session) {
                        // Refused at the banner or EHLO, even with 5xx: another
                        // host may do better, and it is no verdict on the mail.
                        last = opened.status;
                        if (last.enhanced == "4.4.6" && last.code == 0) {
                            // The peer greeted with our name: it is us.
                            last.text = fmt::format("mail for {} loops back to myself: {}", domain,
                                                    last.text);
                            spdlog::error("id={} domain={} status=loop reason=\"{}\"", env.id,
                                          domain, last.text);
                        }
                        if (last.outcome == Outcome::failed) last.outcome = Outcome::deferred;
                        break;
                    }
                    session = std::move(opened.session);
                }
                smtp::client::Message m{env.sender, recipients, message, env.smtputf8};
                m.ret = env.ret;
                m.envid = env.envid;
                for (const auto& a : recipients) m.recipient_dsn.push_back(dsn_of(env, a));
                auto result = co_await session->send(m);
                bool tls = session->tls();
                std::string remote = session->remote();
                if (result.reusable) {
                    park(key, std::move(session), domain);
                } else {
                    co_await session->quit();
                }
                if (all_without_reply(result)) {  // lost before any reply
                    if (!result.recipients.empty()) last = result.recipients[0].status;
                    if (reused) continue;  // the parked one had died: a fresh one
                    break;                 // next address
                }
                *connected = true;
                for (const auto& rr : result.recipients) out[rr.address] = {rr.status, remote, tls};
                co_return out;
            }
        }
    }
    all(last, "");
    co_return out;
}

void RemoteCourier::Impl::note_down(const std::string& destination, queue::Attempt result,
                                    const std::map<std::string, RemoteOutcome>& outcomes) {
    {
        std::lock_guard lock(down_mu);
        if (result != queue::Attempt::unreachable) {
            down.erase(destination);
        } else if (!outcomes.empty()) {
            DownState& d = down[destination];
            d.reason = outcomes.begin()->second.status.text;
            d.next_probe = scheduler.next_probe(destination).value_or(now());
        }
    }
    save_down();
}

// `queue list` marks the message as in flight meanwhile. Not an RAII guard
// in the frame: a frame still suspended when the daemon stops is destroyed
// with the io_context's handlers, after the courier (down_mu, flying) is gone.
asio::awaitable<void> RemoteCourier::Impl::attempt(queue::Task t) {
    {
        std::lock_guard lock(down_mu);
        flying.insert(t.id);
    }
    co_await attempt_once(t);
    {
        std::lock_guard lock(down_mu);
        flying.erase(flying.find(t.id));
    }
    // Whatever became of it (delivered, deferred, dropped as held), the
    // loop looks at the schedule again: a probe that ended frees the
    // destination's next one. An attempt may start only after the loop has
    // gone back to sleep (co_spawn need not run it inline), so even one
    // that returns at once (held, deleted) must wake it.
    kick();
}

asio::awaitable<std::error_code> RemoteCourier::Impl::load_message(const queue::Envelope& env,
                                                                   std::string& out) {
    if (!env.body_file) co_return spool.read_message(env.id, out);
    co_return co_await asio::co_spawn(
        large_reads,
        [this, &env, &out]() -> asio::awaitable<std::error_code> {
            co_return spool.read_message(env.id, out);
        },
        asio::use_awaitable);
}

asio::awaitable<void> RemoteCourier::Impl::attempt_once(queue::Task t) {
    auto env = spool.get(t.id);
    std::string message;
    std::error_code read = queue::make_error_code(queue::Errc::no_such_message);
    if (env) read = co_await load_message(*env, message);
    if (read == queue::Errc::no_such_message || (env && env->held)) {
        // Deleted or held meanwhile; a release enqueues it again.
        scheduler.remove(t.id, t.destination);
        co_return;
    }
    if (read) {
        // Our disk, not the destination: back off this message only.
        spdlog::error("id={} status=deferred error=\"spool read: {}\"", t.id, read.message());
        scheduler.report(t.id, t.destination, queue::Attempt::deferred, now());
        co_return;
    }
    auto recipients = pending_remote(*env, t.destination);
    if (recipients.empty()) {
        scheduler.report(t.id, t.destination, queue::Attempt::delivered, now());
        co_return;
    }
    bool connected = false;
    std::map<std::string, RemoteOutcome> outcomes;
    if (auto hops = mail::count_received(message); hops > settings.hops) {
        // RFC 5321 6.3: it has been round too often (counting our own
        // Received:, as at DATA); sending it on would only feed the loop.
        // Bounced (the sender hears of it), never retried.
        smtp::client::Status loop{
            Outcome::failed, 0, "5.4.6",
            fmt::format("mail loop: the message has {} Received: headers (limit {})", hops,
                        settings.hops)};
        for (const auto& a : recipients) outcomes[a] = {loop, "", false};
        connected = true;  // a verdict on the message, not on the destination
    } else {
        outcomes = co_await deliver(*env, message, t.destination, recipients, &connected);
    }
    bool deferred = false, failed = false;
    for (const auto& [a, o] : outcomes) {
        deferred = deferred || o.status.outcome == Outcome::deferred;
        failed = failed || o.status.outcome == Outcome::failed;
    }
    queue::Attempt result =
        deferred ? (connected ? queue::Attempt::deferred : queue::Attempt::unreachable)
        : failed ? queue::Attempt::failed
                 : queue::Attempt::delivered;
    scheduler.report(t.id, t.destination, result, now());
    note_down(t.destination, result, outcomes);
    record(t, *env, message, outcomes, result);
}

void RemoteCourier::Impl::record(const queue::Task& t, const queue::Envelope& env,
                                 const std::string& message,
                                 const std::map<std::string, RemoteOutcome>& outcomes,
                                 queue::Attempt result) {
    auto t_now = now();
    double delay = std::chrono::duration<double>(t_now - env.arrival).count();
    std::vector<dsn::RecipientStatus> bounces;
    for (const auto& [address, o] : outcomes) {
        const char* status = o.status.outcome == Outcome::delivered ? "sent"
                             : o.status.outcome == Outcome::failed  ? "bounced"
                                                                    : "deferred";
        spdlog::log(
            o.status.outcome == Outcome::delivered ? spdlog::level::info : spdlog::level::warn,
            "id={} from=<{}> to=<{}> relay={} status={} dsn={} delay={:.2f}s tls={} "
            "reply=\"{}\"",
            t.id, env.sender, address, o.remote.empty() ? "none" : o.remote, status,
            o.status.enhanced, delay, o.tls ? "yes" : "no", o.status.text);
        metrics::count_delivery(status);
        if (o.status.outcome != Outcome::failed) continue;
        dsn::RecipientStatus rs;
        rs.final_recipient = address;
        rs.action = dsn::Action::failed;
        rs.status = o.status.enhanced;
        rs.remote_mta = o.remote.substr(0, o.remote.find('['));
        rs.diagnostic = o.status.text;
        rs.smtp_reply = o.status.code != 0;
        rs.last_attempt = t_now;
        bounces.push_back(rs);
    }
    auto next = scheduler.next_attempt(t.id, t.destination).value_or(t_now);
    unsigned attempts = scheduler.attempts(t.id, t.destination);
    auto ec = spool.modify_state(t.id, [&](queue::Envelope& e) {
        auto& rcpts = e.recipients;
        auto& n = e.next_attempt;
        // The backoff goes on from here after a restart.
        if (attempts) e.attempts = attempts;
        for (auto& r : rcpts) {
            auto it = outcomes.find(r.address);
            if (it == outcomes.end() || r.state != RecipientState::pending) continue;
            const auto& s = it->second.status;
            if (s.outcome == Outcome::delivered) r.state = RecipientState::delivered;
            if (s.outcome == Outcome::failed) r.state = RecipientState::failed;
            r.last_error = s.outcome == Outcome::delivered ? "" : s.text;
        }
        if (result == queue::Attempt::deferred || result == queue::Attempt::unreachable) n = next;
    });
    if (ec && ec != queue::Errc::no_such_message) {
        // Delivered but not recorded: a duplicate later beats a loss now.
        spdlog::error("id={} status=not-recorded error=\"{}\"", t.id, ec.message());
    }
    if (!bounces.empty()) queue_notice(spool, env, message, std::move(bounces), notices, t_now);
}

}  // namespace holdfast::delivery
