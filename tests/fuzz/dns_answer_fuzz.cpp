// Any bytes as a DNS response: the parser and the answer interpretation
// must not crash, read out of bounds or loop, and what they accept must
// respect the limits they promise.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/interpret.hpp"
#include "dns/message.hpp"

using namespace holdfast::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> bytes(data, size);
    auto m = parse_message(bytes);
    if (m) {
        // Every name is at most 255 wire octets, at most 4 characters each
        // once escaped (\DDD).
        for (const auto& q : m->questions) {
            if (q.name.size() > 4 * kMaxNameLength) __builtin_trap();
        }
        if (m->answers.size() > kMaxRecordsPerSection) __builtin_trap();
        // Interpret against the message's own question, so the checks pass
        // and the CNAME / record walk runs, for each type we ask for.
        if (!m->questions.empty()) {
            for (RrType t : {RrType::a, RrType::aaaa, RrType::mx, RrType::txt, RrType::ptr}) {
                Result r = interpret(*m, m->questions[0].name, t);
                if (!r.error && r.answer.addresses.empty() && r.answer.mx.empty() &&
                    r.answer.texts.empty() && r.answer.names.empty()) {
                    __builtin_trap();  // success must carry an answer
                }
            }
        }
    }
    (void)interpret_response(bytes, "2.0.0.127.zen.spamhaus.org", RrType::a);
    return 0;
}
