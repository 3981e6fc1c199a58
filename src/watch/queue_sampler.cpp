#include "watch/queue_sampler.hpp"

#include <spdlog/spdlog.h>

#include "queue/domain_stats.hpp"
#include "util/thread_name.hpp"

namespace holdfast::watch {

QueueSampler::QueueSampler(store::Store& store, const queue::Spool& spool, SamplerSettings settings)
    : store_(store), spool_(spool), settings_(std::move(settings)) {}

QueueSampler::~QueueSampler() {
    stop();
}

void QueueSampler::start() {
    if (settings_.interval.count() <= 0 || thread_.joinable()) return;
    thread_ = std::thread([this] {
        util::name_this_thread("hf-sampler");
        run();
    });
}

void QueueSampler::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::size_t QueueSampler::sample_once() {
    auto now = settings_.clock();
    auto stats = queue::stats_by_domain(spool_);
    std::size_t written = 0;
    for (const auto& domain :
         settings_.domains ? settings_.domains() : std::vector<std::string>{}) {
        auto it = stats.find(domain);
        queue::DomainStats s = it == stats.end() ? queue::DomainStats{} : it->second;
        store_.add_queue_sample(domain, s.messages, s.bytes, now);
        ++written;
    }
    store_.prune_queue_samples(now - settings_.retention);
    return written;
}

void QueueSampler::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        lock.unlock();
        try {
            std::size_t n = sample_once();
            spdlog::debug("watch status=queue-sampled domains={}", n);
        } catch (const std::exception& e) {
            // The store is down or full: try again next time, keep serving.
            spdlog::error("watch status=queue-sample-failed reason=\"{}\"", e.what());
        }
        lock.lock();
        cv_.wait_for(lock, settings_.interval, [this] { return stopping_; });
    }
}

}  // namespace holdfast::watch
