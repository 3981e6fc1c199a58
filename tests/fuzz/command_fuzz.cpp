// Any bytes as a command line: no crash; an error always carries a 4xx/5xx code.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/protocol/command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    auto p = holdfast::smtp::parse_command(line);
    if (!p.command && (p.error.code < 400 || p.error.code > 599)) __builtin_trap();
    if (p.command) (void)p.command->address.str();
    return 0;
}
