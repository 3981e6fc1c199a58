#include "dns/idna.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdlib>

#include "util/strings.hpp"

namespace holdfast::dns {
namespace {

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Letters, digits, '-' and '_' (seen in real names such as DKIM selectors
// and some list zones); labels 1-63 octets; 253 octets in all.
bool valid_ascii_name(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    for (auto label : util::split(s, '.')) {
        if (label.empty() || label.size() > 63) return false;
        for (char c : label) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) return false;
        }
    }
    return true;
}

}  // namespace

std::optional<std::string> to_ascii_domain(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.find('\0') != std::string_view::npos) return std::nullopt;
    std::string out;
    if (is_ascii(name)) {
        out = util::ascii_lower(name);
    } else {
        // Non-transitional IDNA2008 with UTS #46 mapping: what browsers and
        // mail clients send (ß stays ß, case is folded).
        std::string in(name);
        char* ascii = nullptr;
        int rc = idn2_to_ascii_8z(in.c_str(), &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
        if (rc != IDN2_OK) return std::nullopt;
        out = util::ascii_lower(ascii);
        idn2_free(ascii);
    }
    if (!valid_ascii_name(out)) return std::nullopt;
    return out;
}

}  // namespace holdfast::dns
