// Any bytes as an SPF record and as a macro-string: the parser and the
// expander must not crash, read out of bounds or loop, and an expansion
// never exceeds 253 characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "spf/macro.hpp"
#include "spf/record.hpp"

using namespace holdfast::spf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)Record::parse(bytes);
    (void)Record::parse("v=spf1 " + std::string(bytes));
    static const MacroContext ctx{"strong-bad@email.example.com", "email.example.com",
                                  *holdfast::util::parse_ip("2001:db8::cb01"), "mx.example.org"};
    if (auto e = expand(bytes, ctx); e && e->size() > 253) __builtin_trap();
    return 0;
}
