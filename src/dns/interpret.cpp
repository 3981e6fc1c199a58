#include "dns/interpret.hpp"

#include <algorithm>

namespace holdfast::dns {
namespace {

constexpr std::uint16_t kClassIn = 1;

// RFC 2308 5: the negative TTL is the smaller of the SOA's own TTL and its
// MINIMUM field; without an SOA the answer must not be cached.
std::uint32_t negative_ttl(const Message& m) {
    for (const Record& r : m.authority) {
        if (r.type == static_cast<std::uint16_t>(RrType::soa))
            return std::min(r.ttl, r.soa_minimum);
    }
    return 0;
}

Result failure(Errc e, Answer a = {}) {
    return Result{make_error_code(e), std::move(a)};
}

void take(Answer& a, const Record& r) {
    switch (a.type) {
        case RrType::a:
        case RrType::aaaa:
            a.addresses.push_back(r.address);
            break;
        case RrType::mx:
            a.mx.push_back(Mx{r.preference, r.target});
            break;
        case RrType::txt: {
            std::string joined;
            for (const auto& s : r.strings) joined += s;
            a.texts.push_back(std::move(joined));
            break;
        }
        default:
            a.names.push_back(r.target);
            break;
    }
}

}  // namespace

Result interpret(const Message& m, std::string_view qname, RrType qtype) {
    Answer a;
    a.name = canonical_name(qname);
    a.type = qtype;
    auto type = static_cast<std::uint16_t>(qtype);
    if (!m.response || m.opcode != 0 || m.questions.size() != 1 || m.questions[0].name != a.name ||
        m.questions[0].type != type) {
        return failure(Errc::malformed, a);
    }
    switch (static_cast<Rcode>(m.rcode)) {
        case Rcode::noerror:
            break;
        case Rcode::nxdomain:
            a.ttl = negative_ttl(m);
            return failure(Errc::nxdomain, a);
        case Rcode::servfail:
            return failure(Errc::server_failure, a);
        case Rcode::refused:
            return failure(Errc::refused, a);
        default:
            return failure(Errc::failure, a);
    }
    // Follow the CNAME chain from the question; only records owned by a name
    // on the chain count, so stray answer records cannot be smuggled in.
    std::string owner = a.name;
    std::uint32_t ttl = UINT32_MAX;
    bool found = false;
    for (int hops = 0; hops <= kMaxCnameChain && !found; ++hops) {
        const Record* cname = nullptr;
        for (const Record& r : m.answers) {
            if (r.klass != kClassIn || r.name != owner) continue;
            if (r.type == type) {
                take(a, r);
                ttl = std::min(ttl, r.ttl);
                found = true;
            } else if (r.type == static_cast<std::uint16_t>(RrType::cname) && !cname) {
                cname = &r;
            }
        }
        if (found || !cname) break;
        ttl = std::min(ttl, cname->ttl);
        owner = cname->target;
    }
    if (!found) {
        a.ttl = negative_ttl(m);
        return failure(Errc::no_data, a);
    }
    a.ttl = ttl;
    std::sort(a.mx.begin(), a.mx.end(), [](const Mx& x, const Mx& y) {
        return x.preference != y.preference ? x.preference < y.preference : x.host < y.host;
    });
    return Result{{}, std::move(a)};
}

Result interpret_response(std::span<const std::uint8_t> bytes, std::string_view qname,
                          RrType qtype) {
    auto m = parse_message(bytes);
    if (!m) {
        Answer a;
        a.name = canonical_name(qname);
        a.type = qtype;
        return failure(Errc::malformed, a);
    }
    return interpret(*m, qname, qtype);
}

const char* type_name(RrType t) {
    switch (t) {
        case RrType::a:
            return "A";
        case RrType::ns:
            return "NS";
        case RrType::cname:
            return "CNAME";
        case RrType::soa:
            return "SOA";
        case RrType::ptr:
            return "PTR";
        case RrType::mx:
            return "MX";
        case RrType::txt:
            return "TXT";
        case RrType::aaaa:
            return "AAAA";
    }
    return "?";
}

}  // namespace holdfast::dns
