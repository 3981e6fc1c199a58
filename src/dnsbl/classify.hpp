#pragma once
// One zone's A answer -> listed / clean / timeout / error. Pure. The rules
// that public checkers get wrong live here: DNS errors are never "clean",
// operator error codes and answers outside 127.0.0.0/8 are never listings.
#include <string>
#include <vector>

#include "dns/types.hpp"
#include "dnsbl/catalogue.hpp"

namespace holdfast::dnsbl {

enum class Status { listed, clean, timeout, error, broken };
const char* status_name(Status s);  // the CONTRACT.md spelling

struct Code {
    std::string address;  // "127.0.0.2"
    std::string meaning;  // from the catalogue, or "" when it says nothing
    bool operator==(const Code&) const = default;
};

struct Classified {
    Status status = Status::error;
    std::vector<Code> codes;  // listed: the listing codes; error: the offending answers
    std::string detail;       // why, for error / timeout / broken, and notes for the others
};

// `zone` may be null (a zone outside the catalogue): then any 127/8 answer
// but the generic error codes is a listing.
Classified classify(const ZoneInfo* zone, const dns::Result& a_answer);

}  // namespace holdfast::dnsbl
