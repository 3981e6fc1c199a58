#include "app/fd_limit.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace holdfast::app {

namespace {
constexpr std::uint64_t kFixedReserve = 256;
}

std::uint64_t fd_reserve(std::uint64_t limit) {
    return kFixedReserve + limit / 10;
}

unsigned connections_within(unsigned wanted, std::uint64_t limit) {
    std::uint64_t reserve = fd_reserve(limit);
    if (limit <= reserve) return 0;
    return static_cast<unsigned>(std::min<std::uint64_t>(wanted, limit - reserve));
}

std::uint64_t raise_nofile_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        spdlog::warn("status=rlimit-unknown reason=\"getrlimit: {}\"", std::strerror(errno));
        return 1024;
    }
    const rlim_t before = rl.rlim_cur;
    if (rl.rlim_cur != rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            rl = raised;
        } else {
            spdlog::warn("status=rlimit-kept reason=\"setrlimit: {}\"", std::strerror(errno));
        }
    }
    const std::uint64_t now = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX / 2 : rl.rlim_cur;
    spdlog::info("status=rlimit nofile={} was={} hard={}", now,
                 before == RLIM_INFINITY ? UINT64_MAX / 2 : before,
                 rl.rlim_max == RLIM_INFINITY ? UINT64_MAX / 2 : rl.rlim_max);
    return now;
}

}  // namespace holdfast::app
