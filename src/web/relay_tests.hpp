#pragma once
// The public relay test: who may test what, how often, and the tests
// running now. A test is admitted only when every address its target
// resolves to lies inside web.test_networks or a customer's networks, the
// client and the target are within their hourly limits, no test of that
// target runs, and fewer than web.max_tests run. Admitted, it gets a row in
// the store at once (its permanent link), runs in the background on the
// web's executor against the address that was checked (never re-resolved),
// and its row is filled in when it ends.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "relaytest/options.hpp"
#include "store/store.hpp"
#include "web/guard.hpp"

namespace holdfast::web {

struct RelayTestSettings {
    std::vector<util::IpNetwork> networks;  // web.test_networks
    std::size_t max_running = 4;
    std::size_t per_client = 10;  // per window
    std::size_t per_target = 6;
    std::chrono::seconds window{3600};
    std::chrono::milliseconds reply_timeout{30000};
    std::chrono::milliseconds pause{1000};
    std::chrono::milliseconds time_limit{std::chrono::minutes(5)};
};
RelayTestSettings relay_test_settings_from(const config::Config& c);

// The answer to "please test X": an id, or why not (HTTP status and words).
struct Admission {
    int status = 202;  // 202 started, 400 bad address, 403 not ours, 429 limits
    std::int64_t id = 0;
    std::string refusal;          // plain words for the page and the API
    std::int64_t running_id = 0;  // 429 because this test of the target runs
    std::chrono::seconds retry_after{0};
};

class RelayTests {
  public:
    RelayTests(boost::asio::any_io_executor ex, store::Store& store, RelayTestSettings s);
    ~RelayTests();

    boost::asio::awaitable<Admission> start(std::string address, std::string client);

    // The relay-test document (CONTRACT.md) plus "id", "state"
    // (queued|running|done), "at", "transcript" and, while it runs,
    // "progress". nullopt: no such test.
    std::optional<nlohmann::json> document(std::int64_t id);
    std::size_t running() const;

  private:
    struct Job;
    boost::asio::awaitable<void> run(std::shared_ptr<Job> job);
    std::vector<util::IpNetwork> allowed_networks(const util::IpAddress& a, std::string* customer);

    boost::asio::any_io_executor ex_;
    store::Store& store_;
    RelayTestSettings s_;
    RateLimiter per_client_, per_target_;
    mutable std::mutex mu_;
    std::map<std::int64_t, std::shared_ptr<Job>> jobs_;  // running now
    std::set<std::string> busy_targets_;
};

}  // namespace holdfast::web
