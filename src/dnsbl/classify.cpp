#include "dnsbl/classify.hpp"

#include <algorithm>
#include <string_view>

#include "dns/error.hpp"

namespace holdfast::dnsbl {
namespace {

bool in_loopback_8(const util::IpAddress& a) {
    return a.is_v4() && a.bytes[12] == 127;
}

const ReturnCode* find_code(std::span<const ReturnCode> codes, std::string_view address) {
    for (const ReturnCode& c : codes) {
        if (c.address == address) return &c;
    }
    return nullptr;
}

// Bitmask zones: each set bit of the last octet is one list. A refusal bit
// makes the whole answer an error: the other bits cannot be trusted then.
void classify_bits(const ZoneInfo& zone, const util::IpAddress& a, std::vector<Code>& listed,
                   std::vector<Code>& errors) {
    unsigned octet = a.bytes[15];
    std::string meanings;
    bool refused = false;
    for (const ReturnCode& c : zone.codes) {
        unsigned bit = static_cast<unsigned>(std::stoul(std::string(c.address)));
        if (!(octet & bit)) continue;
        if (c.kind == CodeKind::error) refused = true;
        if (!meanings.empty()) meanings += ", ";
        meanings += c.meaning;
    }
    Code code{a.str(), meanings};
    if (refused) {
        errors.push_back(code);
    } else if (octet != 0) {
        listed.push_back(code);
    }
}

}  // namespace

const char* status_name(Status s) {
    switch (s) {
        case Status::listed:
            return "listed";
        case Status::clean:
            return "clean";
        case Status::timeout:
            return "timeout";
        case Status::error:
            return "error";
        case Status::broken:
            return "broken";
    }
    return "?";
}

Classified classify(const ZoneInfo* zone, const dns::Result& a_answer) {
    Classified out;
    const auto& ec = a_answer.error;
    if (ec == dns::Errc::nxdomain || ec == dns::Errc::no_data) {
        out.status = Status::clean;
        return out;
    }
    if (ec == dns::Errc::timeout || ec == dns::Errc::cancelled) {
        out.status = Status::timeout;
        out.detail = "no answer in time";
        return out;
    }
    if (ec) {
        out.status = Status::error;
        out.detail = ec.message();
        return out;
    }
    std::vector<Code> listed, errors, neutral;
    auto addresses = a_answer.answer.addresses;  // in a stable order, whatever the server's
    std::sort(addresses.begin(), addresses.end());
    for (const util::IpAddress& a : addresses) {
        std::string s = a.str();
        if (!in_loopback_8(a)) {
            errors.push_back({s, "answer outside 127.0.0.0/8"});
        } else if (const ReturnCode* g = find_code(generic_error_codes(), s)) {
            errors.push_back({s, std::string(g->meaning)});
        } else if (zone && zone->bitmask) {
            classify_bits(*zone, a, listed, errors);
        } else if (const ReturnCode* c = zone ? find_code(zone->codes, s) : nullptr) {
            auto& into = c->kind == CodeKind::listing ? listed
                         : c->kind == CodeKind::error ? errors
                                                      : neutral;
            into.push_back({s, std::string(c->meaning)});
        } else {
            std::string meaning = !zone              ? ""
                                  : zone->allow_list ? "on the allow-list"
                                                     : "listed (code not documented)";
            listed.push_back({s, meaning});
        }
    }
    if (!listed.empty()) {
        out.status = Status::listed;
        out.codes = std::move(listed);
        if (!errors.empty())
            out.detail = "also answered " + errors.front().address + ": " + errors.front().meaning;
    } else if (!errors.empty()) {
        out.status = Status::error;
        out.detail = errors.front().meaning;
        out.codes = std::move(errors);
    } else {
        out.status = Status::clean;
        if (!neutral.empty()) out.detail = neutral.front().address + ": " + neutral.front().meaning;
    }
    return out;
}

}  // namespace holdfast::dnsbl
