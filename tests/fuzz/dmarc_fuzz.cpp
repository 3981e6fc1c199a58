// Any bytes as a DMARC record, as a Public Suffix List and as a domain to
// find the organizational domain of.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dmarc/record.hpp"

using namespace holdfast::dmarc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto r = Record::parse(bytes); r && r->pct > 100) __builtin_trap();
    auto split = bytes.find('\xff');
    auto psl = PublicSuffixList::parse(bytes.substr(0, split));
    std::string_view domain = split == std::string_view::npos ? bytes : bytes.substr(split + 1);
    std::string org = psl.organizational_domain(domain);
    if (org.size() > domain.size()) __builtin_trap();
    return 0;
}
