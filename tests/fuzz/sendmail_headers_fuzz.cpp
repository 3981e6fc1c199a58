// Any bytes as a sendmail -t message and as an address list: no crash, no
// overread; the prepared message has CRLF line ends only, no Bcc field
// left, and ends with CRLF; every extracted recipient has an '@'.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sendmail/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const auto& a : holdfast::sendmail::parse_address_list(text, "example.test")) {
        if (a.find('@') == std::string::npos) __builtin_trap();
    }
    holdfast::sendmail::PrepareInput in;
    in.sender = "u@example.test";
    in.full_name = "U";
    in.extract = true;
    in.domain = "example.test";
    in.queue_id = "Q1";
    auto p = holdfast::sendmail::prepare(text, in);
    const std::string& m = p.message;
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) __builtin_trap();
        if (m[i] == '\r' && (i + 1 >= m.size() || m[i + 1] != '\n')) __builtin_trap();
    }
    if (!m.ends_with("\r\n")) __builtin_trap();
    for (const auto& h : holdfast::sendmail::parse_header_section(m)) {
        if (h.name.size() == 3 && (h.name[0] | 32) == 'b' && (h.name[1] | 32) == 'c' &&
            (h.name[2] | 32) == 'c')
            __builtin_trap();
    }
    for (const auto& a : p.recipients) {
        if (a.find('@') == std::string::npos) __builtin_trap();
    }
    return 0;
}
