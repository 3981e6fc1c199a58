#pragma once
// The open-relay tester's plain interface: a target and options in, a Report
// out. The CLI, the monitor and the web page all call this.
//
//   auto target = relaytest::parse_target("mx.example.org:25");
//   relaytest::Options options;             // defaults: safe, no DATA
//   relaytest::Report report = relaytest::run(*target, options);
//   report.verdict / report.exit_code() / to_text(report) / to_json(report)
//
// probe.hpp has the same as an Asio awaitable for callers with an io_context.
#include "relaytest/options.hpp"
#include "relaytest/report.hpp"

namespace holdfast::relaytest {

// Runs the whole battery on a private io_context and returns when done (at
// most options.time_limit plus one reply timeout). Never throws for network
// trouble: that is an inconclusive report. Bad options: the report says so.
Report run(const Target& target, Options options);

}  // namespace holdfast::relaytest
