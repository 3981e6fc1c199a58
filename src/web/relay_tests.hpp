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
    int status = 202;        // 202 started, 400 bad address, 403 not ours, 429 limits
    std::string id;          // the public link's id: a random token
    std::string refusal;     // plain words for the page and the API
    std::string running_id;  // 429 because this test of the target runs
    std::chrono::seconds retry_after{0};
};

class RelayTests {
  public:
    RelayTests(boost::asio::any_io_executor ex, store::Store& store, RelayTestSettings s);
    ~RelayTests();

    boost::asio::awaitable<Admission> start(std::string address, std::string client);

    // The relay-test document (CONTRACT.md) plus "id" (the token), "state"
    // (queued|running|done), "at", "transcript" and, while it runs,
    // "progress", of the test run from the web page whose public id is
    // `token`. nullopt: no such test. The watch's tests of customers are
    // never shown here: a list of which servers are open, and how, is not
    // for the public (the admin pages show them).
    std::optional<nlohmann::json> document(const std::string& token);

    std::size_t running() const;

  private:
    struct Job;
    std::optional<nlohmann::json> document(std::int64_t id, const std::string& token);
    std::int64_t number(const std::string& token);  // the store's id of a web test; 0: none
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
