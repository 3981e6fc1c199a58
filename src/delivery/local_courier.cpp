#include "delivery/local_courier.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "delivery/maildir.hpp"
#include "mail/address.hpp"
#include "metrics/events.hpp"
#include "util/strings.hpp"
#include "util/thread_name.hpp"

namespace holdfast::delivery {

using queue::RecipientKind;
using queue::RecipientState;
using Clock = std::chrono::steady_clock;

namespace {

// A message larger than this is delivered from the spool in kChunk pieces
// instead of being read whole: a courier's memory stays bounded too.
constexpr std::size_t kWholeMessage = 1024 * 1024;
constexpr std::size_t kChunk = 256 * 1024;

bool streamed(const queue::Envelope& env) {
    return env.size > kWholeMessage;
}

LocalOutcome outcome(RecipientState state, std::string dsn, std::string error,
                     std::string target = {}, bool retry = false) {
    LocalOutcome o;
    o.state = state;
    o.dsn = std::move(dsn);
    o.error = std::move(error);
    o.target = std::move(target);
    o.retry = retry;
    return o;
}

LocalOutcome failed(std::string dsn, std::string error) {
    return outcome(RecipientState::failed, std::move(dsn), std::move(error));
}

bool has_pending_local(const queue::Envelope& env) {
    return std::any_of(env.recipients.begin(), env.recipients.end(), [](const auto& r) {
        return r.kind == RecipientKind::local && r.state == RecipientState::pending;
    });
}

double seconds_since(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::system_clock::now() - t).count();
}

}  // namespace

LocalSettings local_settings_from(const config::Config& c) {
    LocalSettings s;
    s.lmtp_retry_min = c.queue.retry_min;
    s.lmtp_retry_max = c.queue.retry_max;
    s.lmtp.hostname = c.server.hostname;
    s.notices = notice_settings_from(c);
    return s;
}

LocalCourier::LocalCourier(queue::Spool& spool, std::vector<config::LocalDomain> domains,
                           LocalSettings settings)
    : spool_(spool),
      domains_(std::make_shared<const std::vector<config::LocalDomain>>(std::move(domains))),
      settings_(std::move(settings)),
      retry_interval_(settings_.retry_interval),
      lmtp_(settings_.lmtp) {}

LocalCourier::LocalCourier(queue::Spool& spool, std::vector<config::LocalDomain> domains,
                           std::chrono::milliseconds retry_interval)
    : LocalCourier(spool, std::move(domains), [&] {
          LocalSettings s;
          s.retry_interval = retry_interval;
          s.lmtp_retry_min = s.lmtp_retry_max = retry_interval;
          return s;
      }()) {}

std::chrono::milliseconds LocalCourier::lmtp_backoff(unsigned attempts) const {
    auto d = settings_.lmtp_retry_min;
    for (unsigned i = 1; i < attempts && d < settings_.lmtp_retry_max; ++i) d *= 2;
    return std::min(d, settings_.lmtp_retry_max);
}

LocalCourier::~LocalCourier() {
    stop();
}

void LocalCourier::start() {
    {
        std::lock_guard lock(mu_);
        if (worker_.joinable()) return;
        stopping_ = false;
    }
    spool_.for_each([this](const queue::QueuedMessage& m) {
        if (m.has_pending(RecipientKind::local) && !m.held) enqueue(std::string(m.id));
    });
    worker_ = std::thread([this] {
        util::name_this_thread("hf-local");
        run();
    });
}

void LocalCourier::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void LocalCourier::enqueue(const queue::Envelope& env) {
    // Most mail through a backup MX has no local recipient: no wake-up then.
    if (has_pending_local(env) && !env.held) enqueue(env.id);
}

void LocalCourier::enqueue(const std::string& id) {
    {
        std::lock_guard lock(mu_);
        retry_.erase(id);  // asked for now: no need to wait for the retry
        if (!queued_.insert(id).second) return;
        ready_.push_back(id);
    }
    cv_.notify_one();
}

void LocalCourier::flush(const std::string& domain) {
    std::string d = mail::normalize_domain(domain);
    {
        std::lock_guard lock(mu_);
        for (auto it = retry_.begin(); it != retry_.end();) {
            bool match = d.empty();
            if (!match) {
                if (auto env = spool_.get(it->first)) {
                    for (const auto& r : env->recipients) {
                        auto at = r.address.rfind('@');
                        match = match ||
                                (r.kind == RecipientKind::local &&
                                 r.state == RecipientState::pending && at != std::string::npos &&
                                 mail::normalize_domain(r.address.substr(at + 1)) == d);
                    }
                }
            }
            if (!match) {
                ++it;
                continue;
            }
            if (queued_.insert(it->first).second) ready_.push_back(it->first);
            it = retry_.erase(it);
        }
    }
    cv_.notify_one();
}

void LocalCourier::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        // Retries that are due join the ready list.
        auto now = Clock::now();
        for (auto it = retry_.begin(); it != retry_.end();) {
            if (it->second > now) {
                ++it;
                continue;
            }
            if (queued_.insert(it->first).second) ready_.push_back(it->first);
            it = retry_.erase(it);
        }
        if (ready_.empty()) {
            // Nothing more to deliver now: connections kept for a burst go.
            lock.unlock();
            lmtp_.close_idle();
            lock.lock();
            if (stopping_ || !ready_.empty()) continue;
            auto next = std::min_element(retry_.begin(), retry_.end(),
                                         [](auto& a, auto& b) { return a.second < b.second; });
            if (next == retry_.end()) {
                cv_.wait(lock);
            } else {
                cv_.wait_until(lock, next->second);
            }
            continue;
        }
        std::string id = ready_.front();
        ready_.erase(ready_.begin());
        queued_.erase(id);
        lock.unlock();
        auto again = deliver(id);
        lock.lock();
        // An enqueue() during the attempt already queued it again: fine.
        if (again && !queued_.count(id)) retry_[id] = Clock::now() + *again;
    }
}

void LocalCourier::set_domains(std::vector<config::LocalDomain> domains) {
    auto next = std::make_shared<const std::vector<config::LocalDomain>>(std::move(domains));
    std::lock_guard lock(domains_mu_);
    domains_ = std::move(next);
}

std::shared_ptr<const std::vector<config::LocalDomain>> LocalCourier::domains() const {
    std::lock_guard lock(domains_mu_);
    return domains_;
}

LocalCourier::DomainRef LocalCourier::find_domain(std::string_view domain) const {
    auto all = domains();
    std::string d = mail::normalize_domain(domain);
    for (const auto& l : *all) {
        if (mail::normalize_domain(l.domain) == d) return DomainRef(all, &l);
    }
    return nullptr;
}

std::variant<LocalOutcome, LocalCourier::DomainRef> LocalCourier::check(
    const queue::Recipient& r) const {
    auto addr = mail::parse_mailbox(r.address, /*allow_utf8=*/true);
    if (!addr) return failed("5.1.3", "bad recipient address");
    DomainRef domain = find_domain(addr->domain);
    // The domain was local when the message was accepted; a config change
    // since then is the only way here.
    if (!domain) return failed("5.1.2", "domain " + addr->domain + " is not local");
    std::string user = util::fold_local_part(addr->local);
    bool exists = user == "postmaster" ||
                  std::find(domain->recipients.begin(), domain->recipients.end(), user) !=
                      domain->recipients.end();
    if (!exists) return failed("5.1.1", "no such user here");
    return domain;
}

LocalOutcome LocalCourier::deliver_one(const queue::Envelope& env, const queue::Recipient& r,
                                       const std::string& message) const {
    auto checked = check(r);
    if (auto* o = std::get_if<LocalOutcome>(&checked)) return *o;
    DomainRef domain = std::get<DomainRef>(checked);
    auto addr = mail::parse_mailbox(r.address, /*allow_utf8=*/true);
    std::string user = util::fold_local_part(addr->local);
    if (!domain->lmtp.empty()) {
        return outcome(RecipientState::pending, "4.3.0", "LMTP: deliver() sends it", {}, true);
    }
    std::filesystem::path dir = expand_maildir(domain->maildir, user, domain->domain);
    if (dir.empty()) return failed("5.1.3", "local part not usable as a maildir name");
    // Arrival time first keeps Maildir's time-sorted naming; the queue id and
    // a hash of the recipient make the name unique and stable across retries.
    auto arrival = std::chrono::duration_cast<std::chrono::seconds>(env.arrival.time_since_epoch());
    std::string key =
        fmt::format("{}.Q{}R{:016x}", arrival.count(), env.id, std::hash<std::string>{}(r.address));
    MaildirOwner owner;
    owner.uid = static_cast<uid_t>(domain->maildir_uid);
    owner.gid = static_cast<gid_t>(domain->maildir_gid);
    owner.mode = static_cast<mode_t>(domain->maildir_mode);
    std::uint64_t offset = 0;
    auto from_spool = [&](std::string& chunk) -> std::error_code {
        auto ec = spool_.read_message(env.id, offset, kChunk, chunk);
        offset += chunk.size();
        return ec;
    };
    auto ec = streamed(env) ? deliver_to_maildir(dir, from_spool, env.sender, r.address, key, owner)
                            : deliver_to_maildir(dir, message, env.sender, r.address, key, owner);
    if (ec) {
        return outcome(RecipientState::pending, "4.3.0",
                       "maildir " + dir.string() + ": " + ec.message(), dir.string(), true);
    }
    return outcome(RecipientState::delivered, "2.0.0", "", dir.string());
}

std::optional<std::chrono::milliseconds> LocalCourier::deliver(const std::string& id) {
    auto env = spool_.get(id);
    // Held: no attempt and no retry; a release enqueues it again.
    if (!env || !has_pending_local(*env) || env->held) return std::nullopt;
    // LMTP sends the message whole, like the remote courier; only Maildir
    // deliveries stream a large one from the spool.
    std::vector<const queue::Recipient*> over_lmtp;
    for (const auto& r : env->recipients) {
        if (r.kind != RecipientKind::local || r.state != RecipientState::pending) continue;
        auto checked = check(r);
        auto* d = std::get_if<DomainRef>(&checked);
        if (d && !(*d)->lmtp.empty()) over_lmtp.push_back(&r);
    }
    std::string message;
    bool whole = !streamed(*env) || !over_lmtp.empty();
    if (auto ec = whole ? spool_.read_message(id, message) : std::error_code()) {
        if (ec == queue::Errc::no_such_message) return std::nullopt;  // deleted meanwhile
        spdlog::error("id={} status=deferred relay=local error=\"spool read: {}\"", id,
                      ec.message());
        return retry_interval_;
    }
    // Deliver outside the spool's lock; record afterwards.
    Outcomes outcomes;
    if (!over_lmtp.empty()) deliver_lmtp(*env, over_lmtp, message, outcomes);
    bool retry = false, lmtp_retry = false;
    for (const auto& r : env->recipients) {
        if (r.kind != RecipientKind::local || r.state != RecipientState::pending) continue;
        auto it = outcomes.find(r.address);
        if (it == outcomes.end()) {
            it = outcomes.emplace(r.address, deliver_one(*env, r, streamed(*env) ? "" : message))
                     .first;
        }
        const LocalOutcome& o = it->second;
        retry = retry || (o.retry && !o.lmtp);
        lmtp_retry = lmtp_retry || (o.retry && o.lmtp);
        const char* status = o.state == RecipientState::delivered ? "sent"
                             : o.state == RecipientState::failed  ? (o.lmtp ? "bounced" : "failed")
                                                                  : "deferred";
        auto level =
            o.state == RecipientState::delivered ? spdlog::level::info : spdlog::level::warn;
        std::string where = o.lmtp             ? " relay=" + o.target
                            : o.target.empty() ? std::string(" relay=local")
                                               : " relay=local maildir=" + o.target;
        spdlog::log(level, "id={} from=<{}> to=<{}>{} status={} dsn={} delay={:.2f}s{}", id,
                    env->sender, r.address, where, status, o.dsn, seconds_since(env->arrival),
                    o.error.empty() ? "" : " error=\"" + o.error + "\"");
        metrics::count_delivery(status);
    }
    std::optional<std::chrono::milliseconds> again;
    if (lmtp_retry) {
        again = lmtp_backoff(++lmtp_attempts_[id]);
    } else {
        lmtp_attempts_.erase(id);
    }
    if (retry) again = again ? std::min(*again, retry_interval_) : retry_interval_;
    auto ec = spool_.modify_recipients(
        id, [&](std::vector<queue::Recipient>& rcpts, std::chrono::system_clock::time_point& next) {
            for (auto& r : rcpts) {
                auto it = outcomes.find(r.address);
                if (it == outcomes.end() || r.kind != RecipientKind::local ||
                    r.state != RecipientState::pending) {
                    continue;
                }
                r.state = it->second.state;
                r.last_error = it->second.error;
            }
            if (again) next = std::chrono::system_clock::now() + *again;
        });
    if (ec && ec != queue::Errc::no_such_message) {
        // Delivered but not recorded: the next attempt may deliver a second
        // copy, which beats losing the message.
        spdlog::error("id={} status=deferred relay=local error=\"spool update: {}\"", id,
                      ec.message());
        return retry_interval_;
    }
    bounce(*env, message, outcomes);
    return again;
}

}  // namespace holdfast::delivery
