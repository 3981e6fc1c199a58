#pragma once
// `holdfast queue summary`: messages and octets per destination domain and
// age bucket, like Postfix's qshape, so that an admin sees at a glance
// which customer is down and since when.
#include <chrono>
#include <vector>

#include <nlohmann/json.hpp>

#include "queue/envelope.hpp"
#include "queue/spool.hpp"

namespace holdfast::control {

// Upper bounds of the age buckets in minutes (qshape's: 5, 10, 20 ... 1280);
// one more bucket holds everything older.
inline constexpr int kAgeBuckets[] = {5, 10, 20, 40, 80, 160, 320, 640, 1280};

// {"buckets": ["5m", ..., "1280m", "1280m+"],
//  "domains": [{"domain": "customer.test", "messages": N, "bytes": N,
//               "ages": [n per bucket]}...]  (most messages first),
//  "total": {same fields, "domain": "TOTAL"}}
// A message counts once per domain it still has pending recipients at.
nlohmann::json queue_summary(const std::vector<queue::Envelope>& messages,
                             std::chrono::system_clock::time_point now);
// The same for everything queued in `spool`, from its index alone (a
// million envelopes are not read for it).
nlohmann::json queue_summary(const queue::Spool& spool, std::chrono::system_clock::time_point now);

}  // namespace holdfast::control
