// Any bytes as DKIM input: a tag list (DKIM-Signature, key record), a
// message's header section and body fed in pieces, a header field to
// canonicalise or strip of its b= value. Nothing may crash, read out of
// bounds or loop; streaming must not depend on how the input is cut.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkim/canon.hpp"
#include "dkim/header_section.hpp"
#include "dkim/tag_list.hpp"

using namespace holdfast::dkim;

namespace {

std::string relaxed(std::string_view in, std::size_t piece) {
    std::string out;
    RelaxedBody b([&](std::string_view s) { out += s; });
    for (std::size_t i = 0; i < in.size(); i += piece) b.feed(in.substr(i, piece));
    b.finish();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto t = TagList::parse(bytes)) {
        for (const auto& tag : t->tags()) {
            if (t->find(tag.name) == nullptr) __builtin_trap();
            (void)strip_fws(tag.value);
        }
    }
    (void)relaxed_header(bytes);
    (void)without_b_value(bytes);
    if (relaxed(bytes, 1) != relaxed(bytes, 4096)) __builtin_trap();
    std::string simple;
    SimpleBody s([&](std::string_view p) { simple += p; });
    s.feed(bytes);
    s.finish();
    HeaderSection whole(512), pieces(512);
    std::size_t used = whole.feed(bytes), used2 = 0;
    for (std::size_t i = 0; i < bytes.size() && !pieces.done(); i += 3) {
        used2 += pieces.feed(bytes.substr(i, 3));
    }
    whole.finish();
    pieces.finish();
    if (used != used2 || whole.fields().size() != pieces.fields().size()) __builtin_trap();
    for (const auto& f : whole.fields()) (void)instances_bottom_up(whole.fields(), f.name);
    return 0;
}
