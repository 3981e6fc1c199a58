// Any bytes as rspamd's JSON reply: no crash, no exception; what is
// accepted has a finite score and a subject fit for a header line.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto r = holdfast::scan::parse_rspamd_reply(in);
    if (r.ok) {
        if (!std::isfinite(r.score) || !std::isfinite(r.required)) __builtin_trap();
        if (r.subject) {
            for (char c : *r.subject) {
                if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
            }
        }
    } else if (r.error.empty()) {
        __builtin_trap();
    }
    return 0;
}
