#include "app/logging.hpp"

#include <unistd.h>

#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace holdfast::app {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_logger_mt("holdfast");
    // The process id written in, not "%P": that asks the kernel (getpid)
    // for every line, and the daemon never forks.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z holdfast[" + std::to_string(::getpid()) +
                        "] %l: %v");
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

}  // namespace holdfast::app
