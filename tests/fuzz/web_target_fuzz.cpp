// Any bytes as a request target and as a form body: no crash, and what
// comes out keeps its promises (a path that starts with "/", has no ".."
// segment, no control byte and is valid UTF-8; decoded values the same;
// form fields round-trip through url_encode).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "web/request_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace holdfast::web;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto t = parse_target(text)) {
        if (t->path.empty() || t->path.front() != '/') __builtin_trap();
        if (t->path.find("/../") != std::string::npos || t->path.ends_with("/..")) __builtin_trap();
        if (!valid_utf8(t->path)) __builtin_trap();
        for (unsigned char c : t->path) {
            if (c < 0x20 || c == 0x7f || c == '\\') __builtin_trap();
        }
        for (const auto& [k, v] : t->query) {
            if (!valid_utf8(k) || !valid_utf8(v)) __builtin_trap();
            if (v.find('\r') != std::string::npos || v.find('\n') != std::string::npos)
                __builtin_trap();
        }
    }
    if (auto f = parse_form(text)) {
        for (const auto& [k, v] : *f) {
            auto back = parse_form(url_encode(k) + "=" + url_encode(v));
            if (!back || back->at(k) != v) __builtin_trap();
        }
    }
    return 0;
}
