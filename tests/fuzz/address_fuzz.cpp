// Any bytes into the path parser: no crash, no overread, and a success
// consumes no more than it was given and round-trips through str().
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (bool utf8 : {false, true}) {
        auto p = holdfast::mail::parse_path(text, {.allow_null = true, .allow_utf8 = utf8});
        if (!p.address) continue;
        if (p.consumed > size) __builtin_trap();
        std::string again = p.address->bracketed();
        auto q = holdfast::mail::parse_path(again, {.allow_null = true, .allow_utf8 = true});
        if (!q.address || q.address->str() != p.address->str()) __builtin_trap();
        (void)holdfast::mail::unwrap_routing(*p.address);
    }
    return 0;
}
