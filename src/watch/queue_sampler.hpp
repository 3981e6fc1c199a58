#pragma once
// Records how much waits for each backup domain (messages, octets) in the
// store every [watch] sample_interval, so that the admin pages can draw
// the queue over the last days (charts/). One thread of its own; samples
// older than the retention are dropped as new ones come.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "queue/spool.hpp"
#include "store/store.hpp"

namespace holdfast::watch {

struct SamplerSettings {
    std::chrono::seconds interval{300};          // 0: start() does nothing
    std::chrono::seconds retention{31 * 86400};  // samples older than this are dropped
    // The backup domains now ([[backup]] and the customers' domains).
    std::function<std::vector<std::string>()> domains;
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

class QueueSampler {
  public:
    QueueSampler(store::Store& store, const queue::Spool& spool, SamplerSettings settings);
    ~QueueSampler();
    QueueSampler(const QueueSampler&) = delete;
    QueueSampler& operator=(const QueueSampler&) = delete;

    // A sample at once, then one every interval, until stop().
    void start();
    void stop();

    // One sample of every domain now (0 where nothing waits): rows written.
    // Throws store::Error when the store fails.
    std::size_t sample_once();

  private:
    void run();

    store::Store& store_;
    const queue::Spool& spool_;
    SamplerSettings settings_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace holdfast::watch
