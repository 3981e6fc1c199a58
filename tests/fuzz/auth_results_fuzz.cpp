// Any bytes as a header section: no crash, no overread; what comes back is
// never longer than what went in, and a second pass removes nothing more.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/auth_results.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)holdfast::mail::auth_results_id(text);
    auto end = holdfast::mail::header_section_end(text);
    if (end && *end > text.size()) __builtin_trap();
    auto out = holdfast::mail::without_auth_results_of(text, "mx.example.test");
    if (out) {
        if (out->size() >= text.size()) __builtin_trap();
        if (holdfast::mail::without_auth_results_of(*out, "mx.example.test")) __builtin_trap();
    }
    return 0;
}
