// Any bytes as clamd's reply: no crash, and only the two well-formed shapes
// are believed. A virus name is never empty and never holds a character
// that could break the SMTP reply it is put in.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/protocol.hpp"

using holdfast::scan::ClamdReply;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    ClamdReply r = holdfast::scan::parse_clamd_reply(in);
    if (r.kind == ClamdReply::Kind::clean && in.find("stream: OK") == std::string_view::npos) {
        __builtin_trap();
    }
    if (r.kind == ClamdReply::Kind::virus) {
        if (r.text.empty() || in.find(" FOUND") == std::string_view::npos) __builtin_trap();
        for (char c : r.text) {
            if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
                __builtin_trap();
            }
        }
    }
    for (char c : r.text) {
        if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
    }
    return 0;
}
