#include "delivery/local_courier.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "delivery/maildir.hpp"
#include "mail/address.hpp"
#include "util/strings.hpp"

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

LocalOutcome failed(std::string dsn, std::string error) {
    return {RecipientState::failed, std::move(dsn), std::move(error), {}, false};
}

bool has_pending_local(const queue::Envelope& env) {
    return std::any_of(env.recipients.begin(), env.recipients.end(), [](const auto& r) {
        return r.kind == RecipientKind::local && r.state == RecipientState::pending;
    });
}

double seconds_since(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::system_clock::now() - t).count();
}

const config::LocalDomain* find_local_domain(const std::vector<config::LocalDomain>& domains,
                                             std::string_view domain) {
    std::string d = mail::normalize_domain(domain);
    for (const auto& l : domains) {
        if (mail::normalize_domain(l.domain) == d) return &l;
    }
    return nullptr;
}

}  // namespace

LocalCourier::LocalCourier(queue::Spool& spool, std::vector<config::LocalDomain> domains,
                           std::chrono::milliseconds retry_interval)
    : spool_(spool),
      domains_(std::make_shared<const std::vector<config::LocalDomain>>(std::move(domains))),
      retry_interval_(retry_interval) {}

void LocalCourier::set_domains(std::vector<config::LocalDomain> domains) {
    auto next = std::make_shared<const std::vector<config::LocalDomain>>(std::move(domains));
    std::lock_guard lock(domains_mu_);
    domains_ = std::move(next);
}

std::shared_ptr<const std::vector<config::LocalDomain>> LocalCourier::domains() const {
    std::lock_guard lock(domains_mu_);
    return domains_;
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
    spool_.for_each([this](const queue::Envelope& env) {
        if (has_pending_local(env) && !env.held) enqueue(env.id);
    });
    worker_ = std::thread([this] { run(); });
}

void LocalCourier::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
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
        bool again = deliver(id);
        lock.lock();
        // An enqueue() during the attempt already queued it again: fine.
        if (again && !queued_.count(id)) retry_[id] = Clock::now() + retry_interval_;
    }
}

LocalOutcome LocalCourier::deliver_one(const queue::Envelope& env, const queue::Recipient& r,
                                       const std::string& message) const {
    auto addr = mail::parse_mailbox(r.address, /*allow_utf8=*/true);
    if (!addr) return failed("5.1.3", "bad recipient address");
    const auto domains = this->domains();  // kept while `domain` points into it
    const config::LocalDomain* domain = find_local_domain(*domains, addr->domain);
    // The domain was local when the message was accepted; a config change
    // since then is the only way here.
    if (!domain) return failed("5.1.2", "domain " + addr->domain + " is not local");
    std::string user = util::fold_local_part(addr->local);
    bool exists = user == "postmaster" ||
                  std::find(domain->recipients.begin(), domain->recipients.end(), user) !=
                      domain->recipients.end();
    if (!exists) return failed("5.1.1", "no such user here");
    if (!domain->lmtp.empty()) {
        return {RecipientState::pending, "4.3.0", "LMTP delivery not implemented yet", {}, false};
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
        return {RecipientState::pending, "4.3.0", "maildir " + dir.string() + ": " + ec.message(),
                dir.string(), true};
    }
    return {RecipientState::delivered, "2.0.0", "", dir.string(), false};
}

bool LocalCourier::deliver(const std::string& id) {
    auto env = spool_.get(id);
    // Held: no attempt and no retry; a release enqueues it again.
    if (!env || !has_pending_local(*env) || env->held) return false;
    std::string message;
    if (auto ec = streamed(*env) ? std::error_code() : spool_.read_message(id, message)) {
        if (ec == queue::Errc::no_such_message) return false;  // deleted meanwhile
        spdlog::error("id={} status=deferred relay=local error=\"spool read: {}\"", id,
                      ec.message());
        return true;
    }
    // Deliver outside the spool's lock; record afterwards.
    std::map<std::string, LocalOutcome> outcomes;  // address -> outcome
    bool retry = false;
    for (const auto& r : env->recipients) {
        if (r.kind != RecipientKind::local || r.state != RecipientState::pending) continue;
        LocalOutcome o = deliver_one(*env, r, message);
        retry = retry || o.retry;
        const char* status = o.state == RecipientState::delivered ? "sent"
                             : o.state == RecipientState::failed  ? "failed"
                                                                  : "deferred";
        auto level =
            o.state == RecipientState::delivered ? spdlog::level::info : spdlog::level::warn;
        spdlog::log(level, "id={} from=<{}> to=<{}> relay=local{} status={} dsn={} delay={:.2f}s{}",
                    id, env->sender, r.address, o.target.empty() ? "" : " maildir=" + o.target,
                    status, o.dsn, seconds_since(env->arrival),
                    o.error.empty() ? "" : " error=\"" + o.error + "\"");
        outcomes.emplace(r.address, std::move(o));
    }
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
            if (retry) next = std::chrono::system_clock::now() + retry_interval_;
        });
    if (ec && ec != queue::Errc::no_such_message) {
        // Delivered but not recorded: the next attempt may deliver a second
        // copy, which beats losing the message.
        spdlog::error("id={} status=deferred relay=local error=\"spool update: {}\"", id,
                      ec.message());
        return true;
    }
    return retry;
}

}  // namespace holdfast::delivery
