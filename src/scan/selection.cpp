#include "scan/selection.hpp"

#include "util/strings.hpp"

namespace holdfast::scan {

namespace {

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string{} : util::ascii_lower(address.substr(at + 1));
}

}  // namespace

bool domain_has_scan(const config::Config& c, const policy::CustomerDomainMap* customers,
                     std::string_view domain) {
    for (const auto& l : c.locals) {
        if (l.domain == domain) return l.scan;
    }
    for (const auto& b : c.backups) {
        if (b.domain == domain) return b.scan;
    }
    if (customers) {
        if (auto it = customers->find(std::string(domain)); it != customers->end()) {
            return it->second.scan;
        }
    }
    return false;
}

std::string scan_reason(const config::Config& c, const policy::CustomerDomainMap* customers,
                        std::string_view sender, const std::vector<queue::Recipient>& recipients) {
    bool relayed = false;
    for (const auto& r : recipients) {
        std::string d = domain_of(r.address);
        if (!d.empty() && domain_has_scan(c, customers, d)) return "rcpt:" + d;
        relayed = relayed || r.kind == queue::RecipientKind::relay;
    }
    if (relayed) {
        std::string d = domain_of(sender);
        if (!d.empty() && domain_has_scan(c, customers, d)) return "sender:" + d;
    }
    return {};
}

}  // namespace holdfast::scan
