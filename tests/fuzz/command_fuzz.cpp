// Any bytes as a command line: no crash; an error always carries a 4xx/5xx
// code. The same bytes as xtext (RFC 3461 DSN parameters) must decode to
// something that encodes back to what decodes the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/protocol/command.hpp"
#include "smtp/protocol/dsn_params.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    auto p = holdfast::smtp::parse_command(line);
    if (!p.command && (p.error.code < 400 || p.error.code > 599)) __builtin_trap();
    if (p.command) (void)p.command->address.str();
    if (auto raw = holdfast::smtp::xtext_decode(line)) {
        auto again = holdfast::smtp::xtext_decode(holdfast::smtp::xtext_encode(*raw));
        if (!again || *again != *raw) __builtin_trap();
    }
    return 0;
}
