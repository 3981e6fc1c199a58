// The prober: plans the battery for one target and runs it over as many
// sessions as the server makes necessary, then asks verdict.cpp what it all
// means. One connection at a time, a pause between sessions, an overall
// deadline: a good citizen towards the host under test.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <random>

#include "mail/address.hpp"
#include "metrics/events.hpp"
#include "relaytest/connection.hpp"
#include "relaytest/probe.hpp"
#include "relaytest/relaytest.hpp"
#include "relaytest/session.hpp"
#include "relaytest/verdict.hpp"
#include "util/net.hpp"

namespace holdfast::relaytest {
namespace {

using asio::as_tuple;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

std::string random_hex(std::size_t n) {
    std::random_device rd;
    std::string out;
    while (out.size() < n) out += fmt::format("{:08x}", rd());
    return out.substr(0, n);
}

struct Planned {
    const Vector* vector;
    bool tls;
    int attempts = 0;
};

class Prober {
  public:
    Prober(asio::any_io_executor ex, Target target, Options options)
        : ex_(ex),
          target_(std::move(target)),
          o_(std::move(options)),
          tls_(asio::ssl::context::tls_client) {
        tls_.set_verify_mode(asio::ssl::verify_none);
    }
    asio::awaitable<Report> run();

  private:
    asio::awaitable<std::unique_ptr<Connection>> open(const std::string& helo, bool tls,
                                                      Greeting& g);
    asio::awaitable<void> battery(std::vector<Planned>& plan, std::vector<std::size_t>* slots);
    asio::awaitable<void> controls();
    void store(const VectorResult& r, std::vector<std::size_t>* slots, std::size_t index);
    void progress(const std::string& current);
    std::string helo_for(const Vector& v) const { return v.helo.empty() ? o_.helo : v.helo; }
    bool stopped() const { return !findings_.ran_to_end; }
    void stop(std::string why) {
        if (findings_.ran_to_end) findings_.stop_reason = std::move(why);
        findings_.ran_to_end = false;
    }

    asio::any_io_executor ex_;
    Target target_;
    Options o_;
    asio::ssl::context tls_;
    Report report_;
    Clock::time_point deadline_;
    std::vector<tcp::endpoint> endpoints_;
    std::optional<asio::ip::address> source_;
    Placeholders ph_;
    std::vector<Vector> vectors_;
    Findings findings_;
    DeliverSpec deliver_;
    std::string plain_from_;  // "<--from>": the substitute when a vector's sender is refused
    std::size_t planned_ = 0;
    int sessions_ = 0;
    std::unique_ptr<Connection> first_;      // the first session, kept open for the battery
    std::optional<Greeting> first_refusal_;  // or how it refused us (no need to ask twice)
};

asio::awaitable<std::unique_ptr<Connection>> Prober::open(const std::string& helo, bool tls,
                                                          Greeting& g) {
    if (sessions_ > 0) {
        asio::steady_timer t(ex_, std::min<Clock::duration>(o_.pause, deadline_ - Clock::now()));
        co_await t.async_wait(as_tuple(use_awaitable));
    }
    auto c = std::make_unique<Connection>(ex_, tls_, report_.transcript, ++sessions_, o_.timeout,
                                          deadline_);
    if (std::string e = co_await c->connect(endpoints_, source_); !e.empty()) {
        g.status = Greeting::Status::lost;
        g.error = e;
        co_return nullptr;
    }
    if (report_.address.empty()) report_.address = c->remote().address().to_string();
    // Named, not a ?: temporary inside co_await: GCC 12 destroys those twice.
    std::string sni;
    if (!util::parse_ip(target_.host) && mail::is_valid_domain(target_.host)) sni = target_.host;
    g = co_await greet(*c, helo, tls, sni);
    if (g.banner && report_.banner.empty()) report_.banner = g.banner->summary();
    if (!tls && g.starttls_offered) report_.starttls_offered = true;
    if (tls && g.status == Greeting::Status::ok) report_.tls_used = true;
    if (g.status != Greeting::Status::ok) {
        if (g.status != Greeting::Status::lost) co_await quit(*c);
        co_return nullptr;
    }
    co_return c;
}

void Prober::store(const VectorResult& r, std::vector<std::size_t>* slots, std::size_t index) {
    if (slots) {
        report_.vectors[(*slots)[index]] = r;
    } else {
        report_.vectors.push_back(r);
    }
    progress("");
}

void Prober::progress(const std::string& current) {
    if (!o_.on_progress) return;
    Progress p;
    p.total = planned_;
    p.current = current;
    for (const auto& v : report_.vectors) {
        ++p.done;
        if (v.result == Result::relayed)
            ++p.relayed;
        else if (v.result == Result::refused)
            ++p.refused;
        else
            ++p.other;
    }
    o_.on_progress(p);
}

// Runs plan[i] in order, reconnecting as the server makes necessary. Results
// are appended to the report, or with `slots` written over earlier ones.
asio::awaitable<void> Prober::battery(std::vector<Planned>& plan, std::vector<std::size_t>* slots) {
    std::unique_ptr<Connection> conn = std::move(first_);
    std::string conn_helo = o_.helo;
    bool conn_tls = false;
    int fruitless = 0;       // sessions in a row that produced no result
    std::size_t errors = 0;  // error replies in this session
    std::size_t next = 0;
    auto give_up = [&](const std::string& why) {
        stop(why);
        for (; next < plan.size(); ++next) {
            VectorResult r;
            r.id = plan[next].vector->id;
            r.probes = plan[next].vector->probes;
            r.helo = helo_for(*plan[next].vector);
            r.mail_from = plan[next].vector->mail_from;
            r.rcpt_to = plan[next].vector->rcpt_to;
            r.tls = plan[next].tls;
            r.via_target = plan[next].vector->via_target;
            r.via_domain = plan[next].vector->via_domain;
            r.result = Result::error;
            r.reply = "not run: " + why;
            store(r, slots, next);
        }
    };
    while (next < plan.size()) {
        if (Clock::now() >= deadline_) {
            give_up("overall time limit reached");
            break;
        }
        const Planned& p = plan[next];
        std::string helo = helo_for(*p.vector);
        if (!conn || conn_helo != helo || conn_tls != p.tls) {
            if (conn) co_await quit(*conn);
            errors = 0;
            Greeting g;
            if (first_refusal_ && helo == o_.helo && !p.tls) {
                g = *first_refusal_;
            } else {
                conn = co_await open(helo, p.tls, g);
            }
            first_refusal_.reset();
            conn_helo = helo;
            conn_tls = p.tls;
            if (!conn && g.status == Greeting::Status::tls_failed) {
                report_.notes.push_back("STARTTLS offered but not usable (" + g.error +
                                        "): the TLS vectors were not run");
                plan.erase(std::remove_if(plan.begin() + static_cast<std::ptrdiff_t>(next),
                                          plan.end(), [](const Planned& x) { return x.tls; }),
                           plan.end());
                continue;
            }
            if (!conn && g.status == Greeting::Status::lost) {
                if (++fruitless >= 2) give_up(g.error);
                continue;
            }
            if (!conn) {
                // Refused or deferred at the greeting: that is the answer for
                // every vector that needs this greeting.
                for (; next < plan.size() && helo_for(*plan[next].vector) == helo &&
                       plan[next].tls == p.tls;
                     ++next) {
                    const Vector& v = *plan[next].vector;
                    VectorResult r;
                    r.id = v.id;
                    r.probes = v.probes;
                    r.helo = helo;
                    r.mail_from = v.mail_from;
                    r.rcpt_to = v.rcpt_to;
                    r.tls = plan[next].tls;
                    r.via_target = v.via_target;
                    r.via_domain = v.via_domain;
                    r.result = classify(*g.reply);
                    r.reply = g.reply->summary();
                    r.note = "answered at the greeting (banner or EHLO/HELO)";
                    r.session = sessions_;
                    store(r, slots, next);
                }
                fruitless = 0;
                continue;
            }
        }
        progress(p.vector->id);
        const DeliverSpec* deliver = nullptr;
        if (o_.deliver) deliver = &deliver_;
        VectorRun vr = co_await run_vector(*conn, *p.vector, p.tls, plain_from_, deliver);
        vr.result.session = sessions_;
        if (vr.lost) conn.reset();
        if (vr.lost && vr.result.result == Result::error) {
            ++fruitless;
            if (++plan[next].attempts < 2 && fruitless < 3) continue;  // again, in a fresh session
            store(vr.result, slots, next);
            ++next;
            if (fruitless >= 3)
                give_up("the server keeps dropping the connection: " + vr.result.reply);
            continue;
        }
        fruitless = 0;
        if (vr.demands_tls) findings_.tls_required = true;
        if (vr.unknown_domain) findings_.unknown_domain = true;
        store(vr.result, slots, next);
        ++next;
        if (vr.demands_tls && !p.tls) {
            // Every plain vector would get the same "STARTTLS first" (and
            // Postfix sleeps before each): the TLS repeats test them.
            VectorResult answered = vr.result;
            for (; next < plan.size() && !plan[next].tls; ++next) {
                const Vector& v = *plan[next].vector;
                VectorResult r = answered;
                r.id = v.id;
                r.probes = v.probes;
                r.helo = v.helo;
                r.mail_from = v.mail_from;
                r.rcpt_to = v.rcpt_to;
                r.via_target = v.via_target;
                r.via_domain = v.via_domain;
                r.substitute_from.clear();
                r.rcpt_tried = false;
                r.note = "not sent in plain text: the server demands STARTTLS first (" +
                         answered.id + "); the repeats inside TLS test it";
                store(r, slots, next);
            }
        }
        // Before the server starts to slow down (or hang up) for our errors:
        // a refused sender and its substitute's refused recipient are two.
        errors += (vr.result.result != Result::relayed ? 1 : 0) +
                  (vr.result.substitute_from.empty() ? 0 : 1);
        if (conn && o_.errors_per_session > 0 && errors >= o_.errors_per_session &&
            next < plan.size()) {
            co_await quit(*conn);
            conn.reset();
        }
    }
    if (conn) co_await quit(*conn);
}

// Control probes, only when something was accepted: does the server accept
// an invalid recipient (then RCPT replies prove nothing), and any local part
// at its own name (then routed vectors may be local deliveries)?
asio::awaitable<void> Prober::controls() {
    Greeting g;
    auto c = co_await open(o_.helo, findings_.tls_required, g);
    if (!c) {
        report_.notes.push_back("control probes could not run: " +
                                (g.reply ? g.reply->summary() : g.error));
        co_return;
    }
    c->note("control probes (not vectors): invalid recipient, random local part at the target");
    std::string from = "<" + o_.from + ">";
    auto invalid = co_await rcpt_accepted(*c, from, "<>");
    if (invalid && *invalid) {
        findings_.accept_all = true;
        report_.notes.push_back("control: RCPT TO:<> (an invalid recipient) was accepted");
    }
    // A random local part at the target's own name tells a catch-all from a
    // relay, but only when no outside recipient was relayed directly: a
    // server that relays anywhere accepts that name too, catch-all or not.
    bool direct = std::any_of(
        report_.vectors.begin(), report_.vectors.end(),
        [](const VectorResult& r) { return r.result == Result::relayed && !r.via_target; });
    if (invalid && !direct) {
        std::string probe = "<holdfast-no-such-user-" + deliver_.token + "@" + ph_.banner + ">";
        auto local = co_await rcpt_accepted(*c, from, probe);
        if (local && *local) {
            findings_.catch_all = true;
            report_.notes.push_back("control: RCPT TO:" + probe +
                                    " (a random local part at the target's own name) was "
                                    "accepted");
        }
    }
    co_await quit(*c);
}

asio::awaitable<Report> Prober::run() {
    report_.target = target_.str();
    report_.deliver = o_.deliver;
    deadline_ = Clock::now() + o_.time_limit;
    auto finish = [&](Decision d) {
        report_.verdict = d.verdict;
        metrics::events().relay_tests.inc(to_string(d.verdict));
        report_.reason = std::move(d.reason);
        report_.notes.insert(report_.notes.end(), d.notes.begin(), d.notes.end());
        report_.sessions = static_cast<std::size_t>(sessions_);
        report_.elapsed = report_.transcript.elapsed();
        report_.has_transcript = o_.transcript;
        return report_;
    };
    auto cannot = [&](std::string why) {
        return finish({Verdict::inconclusive, std::move(why), {}});
    };

    std::string token = random_hex(16);
    if (std::string e = resolve_defaults(o_, "t" + token.substr(0, 8)); !e.empty())
        co_return cannot(e);
    report_.to = o_.to;
    plain_from_ = "<" + o_.from + ">";
    deliver_ = {token, o_.from, o_.helo};
    if (o_.deliver) report_.token = token;
    VectorFile file =
        parse_vectors(o_.vectors_text.empty() ? builtin_vectors_text() : o_.vectors_text);
    if (!file.errors.empty()) co_return cannot("vector file: " + file.errors.front());
    if (!o_.source.empty()) source_ = asio::ip::make_address(o_.source);

    // Addresses: an IP as given, else the system resolver.
    if (auto ip = util::parse_ip(target_.host)) {
        endpoints_.emplace_back(asio::ip::make_address(target_.host), target_.port);
    } else {
        tcp::resolver resolver(ex_);
        auto [ec, results] = co_await resolver.async_resolve(
            target_.host, std::to_string(target_.port), as_tuple(use_awaitable));
        if (ec) co_return cannot(fmt::format("cannot resolve {}: {}", target_.host, ec.message()));
        for (const auto& r : results) endpoints_.push_back(r.endpoint());
    }

    // The first session tells us the target's address and banner name,
    // which the vectors need.
    Greeting g;
    for (int attempt = 0; attempt < 2 && !first_; ++attempt) {
        first_ = co_await open(o_.helo, false, g);
        if (g.status != Greeting::Status::lost) break;
    }
    if (g.status == Greeting::Status::lost) {
        co_return cannot(fmt::format("could not talk to {}: {}", report_.target, g.error));
    }
    if (!first_) first_refusal_ = g;
    auto addr = util::parse_ip(report_.address);
    describe_target(ph_, target_.host, addr ? addr->str() : report_.address,
                    g.banner && !g.banner->lines.empty() ? g.banner->lines.front() : "");
    auto to = mail::parse_mailbox(o_.to, false);
    auto from = mail::parse_mailbox(o_.from, false);
    ph_.ext = o_.to_domain;
    ph_.to = to->local;
    ph_.from = from->local;
    ph_.from_domain = from->domain;
    vectors_ = expand_all(file.specs, ph_);
    // Our own HELO first (one session), then each spoofed HELO in its own.
    std::stable_partition(vectors_.begin(), vectors_.end(),
                          [](const Vector& v) { return v.helo.empty(); });
    std::size_t budget = o_.max_vectors ? o_.max_vectors : SIZE_MAX;

    std::vector<Planned> plan;
    for (const Vector& v : vectors_) {
        if (plan.size() < budget) plan.push_back({&v, false});
    }
    planned_ = plan.size();
    if (!first_ && g.status == Greeting::Status::ok) co_return cannot("internal: no first session");
    co_await battery(plan, nullptr);

    // STARTTLS: some servers relax their rules inside TLS. The marked
    // vectors, or all of them when the server insists on TLS.
    if (report_.starttls_offered && !stopped() && report_.vectors.size() < budget) {
        std::vector<Planned> tls_plan;
        for (const Vector& v : vectors_) {
            if ((v.tls_too || findings_.tls_required) &&
                report_.vectors.size() + tls_plan.size() < budget) {
                tls_plan.push_back({&v, true});
            }
        }
        planned_ += tls_plan.size();
        co_await battery(tls_plan, nullptr);
    }

    // --retry-4xx: greylisting lets the same triplet through after a pause.
    if (o_.retry_4xx && !stopped()) {
        std::vector<Planned> again;
        std::vector<std::size_t> slots;
        for (std::size_t i = 0; i < report_.vectors.size(); ++i) {
            const VectorResult& r = report_.vectors[i];
            if (r.result != Result::deferred) continue;
            auto it = std::find_if(vectors_.begin(), vectors_.end(),
                                   [&](const Vector& v) { return v.id == r.id; });
            if (it == vectors_.end()) continue;
            again.push_back({&*it, r.tls});
            slots.push_back(i);
        }
        if (!again.empty()) {
            report_.transcript.add(sessions_, Direction::note,
                                   fmt::format("retrying {} deferred vector(s) after {:.1f}s",
                                               again.size(), o_.retry_pause.count() / 1000.0));
            asio::steady_timer t(
                ex_, std::min<Clock::duration>(o_.retry_pause, deadline_ - Clock::now()));
            co_await t.async_wait(as_tuple(use_awaitable));
            co_await battery(again, &slots);
        }
    }

    bool any_relayed =
        std::any_of(report_.vectors.begin(), report_.vectors.end(),
                    [](const VectorResult& r) { return r.result == Result::relayed; });
    if (any_relayed && !o_.deliver && Clock::now() < deadline_) co_await controls();
    findings_.deliver = o_.deliver;
    findings_.retried_4xx = o_.retry_4xx;
    co_return finish(decide(report_.vectors, findings_));
}

}  // namespace

asio::awaitable<Report> probe(Target target, Options options) {
    Prober p(co_await asio::this_coro::executor, std::move(target), std::move(options));
    co_return co_await p.run();
}

Report run(const Target& target, Options options) {
    asio::io_context io;
    Report out;
    asio::co_spawn(io, probe(target, std::move(options)), [&](std::exception_ptr e, Report r) {
        if (e) std::rethrow_exception(e);
        out = std::move(r);
    });
    io.run();
    return out;
}

}  // namespace holdfast::relaytest
