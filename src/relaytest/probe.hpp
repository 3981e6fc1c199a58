#pragma once
// The relay test as an awaitable, for callers that already run an
// io_context (the daemon's monitor and web page).
#include <boost/asio/awaitable.hpp>

#include "relaytest/options.hpp"
#include "relaytest/report.hpp"

namespace holdfast::relaytest {

boost::asio::awaitable<Report> probe(Target target, Options options);

}  // namespace holdfast::relaytest
