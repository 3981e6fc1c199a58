// Return codes as the operators document them (sources in docs/dnsbl.md).
#include "dnsbl/catalogue.hpp"

#include "dns/message.hpp"

namespace holdfast::dnsbl {
namespace {

using K = CodeKind;

constexpr ReturnCode kGenericErrors[] = {
    {"127.255.255.252", "query refused: typo in the zone name", K::error},
    {"127.255.255.254", "query refused: asked through a public/open resolver", K::error},
    {"127.255.255.255", "query refused: too many queries (rate limited)", K::error},
};

constexpr ReturnCode kZen[] = {
    {"127.0.0.2", "SBL: Spamhaus block list (spam source)"},
    {"127.0.0.3", "SBL CSS: snowshoe spam"},
    {"127.0.0.4", "XBL: exploited host (CBL)"},
    {"127.0.0.5", "XBL: exploited host"},
    {"127.0.0.6", "XBL: exploited host"},
    {"127.0.0.7", "XBL: exploited host"},
    {"127.0.0.9", "SBL DROP: hijacked network"},
    {"127.0.0.10", "PBL: end-user range, ISP maintained (policy, not abuse)"},
    {"127.0.0.11", "PBL: end-user range, Spamhaus maintained (policy, not abuse)"},
};
constexpr ReturnCode kSbl[] = {
    {"127.0.0.2", "SBL: Spamhaus block list (spam source)"},
    {"127.0.0.3", "SBL CSS: snowshoe spam"},
    {"127.0.0.9", "SBL DROP: hijacked network"},
};
constexpr ReturnCode kXbl[] = {
    {"127.0.0.4", "XBL: exploited host (CBL)"},
    {"127.0.0.5", "XBL: exploited host"},
    {"127.0.0.6", "XBL: exploited host"},
    {"127.0.0.7", "XBL: exploited host"},
};
constexpr ReturnCode kPbl[] = {
    {"127.0.0.10", "PBL: end-user range, ISP maintained (policy, not abuse)"},
    {"127.0.0.11", "PBL: end-user range, Spamhaus maintained (policy, not abuse)"},
};
constexpr ReturnCode kDbl[] = {
    {"127.0.1.2", "DBL: spam domain"},
    {"127.0.1.4", "DBL: phishing domain"},
    {"127.0.1.5", "DBL: malware domain"},
    {"127.0.1.6", "DBL: botnet C&C domain"},
    {"127.0.1.102", "DBL: abused legit domain (spam)"},
    {"127.0.1.103", "DBL: abused legit spammed redirector"},
    {"127.0.1.104", "DBL: abused legit domain (phishing)"},
    {"127.0.1.105", "DBL: abused legit domain (malware)"},
    {"127.0.1.106", "DBL: abused legit domain (botnet C&C)"},
    {"127.0.1.255", "DBL: IP queries prohibited", K::error},
};
constexpr ReturnCode kListed[] = {{"127.0.0.2", "listed"}};
constexpr ReturnCode kBackscatter[] = {
    {"127.0.0.2", "listed: sends backscatter (misdirected bounces)"}};
constexpr ReturnCode kMailspike[] = {
    {"127.0.0.2", "listed: Mailspike blacklist"},
    {"127.0.0.10", "worst reputation (L5)"},
    {"127.0.0.11", "very bad reputation (L4)"},
    {"127.0.0.12", "bad reputation (L3)"},
};
constexpr ReturnCode kMailspikeZ[] = {{"127.0.0.2", "listed: part of a zero-hour spam wave"}};
constexpr ReturnCode kDronebl[] = {
    {"127.0.0.2", "sample / test entry"},
    {"127.0.0.3", "IRC drone"},
    {"127.0.0.5", "bottler"},
    {"127.0.0.6", "unknown spambot or drone"},
    {"127.0.0.7", "DDoS drone"},
    {"127.0.0.8", "open SOCKS proxy"},
    {"127.0.0.9", "open HTTP proxy"},
    {"127.0.0.10", "proxychain"},
    {"127.0.0.11", "web page proxy"},
    {"127.0.0.12", "open DNS resolver"},
    {"127.0.0.13", "brute-force attacker"},
    {"127.0.0.14", "open Wingate proxy"},
    {"127.0.0.15", "compromised router / gateway"},
    {"127.0.0.16", "autorooting worm"},
    {"127.0.0.17", "automatically determined botnet IP"},
    {"127.0.0.18", "DNS/MX type hostname detected on IRC"},
    {"127.0.0.19", "abused VPN service"},
    {"127.0.0.255", "uncategorized threat"},
};
constexpr ReturnCode kSpamratsSpam[] = {{"127.0.0.38", "RATS-Spam: sent spam to spamtraps"}};
constexpr ReturnCode kSpamratsDyna[] = {
    {"127.0.0.36", "RATS-Dyna: dynamic / generic rDNS, sends direct"}};
constexpr ReturnCode kSpamratsNoPtr[] = {{"127.0.0.37", "RATS-NoPtr: no reverse DNS"}};
constexpr ReturnCode kSpfbl[] = {
    {"127.0.0.2", "bad reputation"},
    {"127.0.0.3", "suspicious origin"},
    {"127.0.0.4", "end-user address: should send through its provider's relay"},
};
constexpr ReturnCode kHostkarma[] = {
    {"127.0.0.1", "whitelisted", K::neutral},
    {"127.0.0.2", "blacklisted"},
    {"127.0.0.3", "yellowlisted (mixed source)", K::neutral},
    {"127.0.0.4", "brownlisted (mostly spam)"},
    {"127.0.0.5", "NOBL: not to be blacklisted", K::neutral},
};
constexpr ReturnCode kSurbl[] = {
    {"1", "query refused (SURBL access denied)", K::error},
    {"8", "PH: phishing"},
    {"16", "MW: malware"},
    {"64", "ABUSE: spam / abuse"},
    {"128", "CR: cracked site"},
};
constexpr ReturnCode kUribl[] = {
    {"1", "query refused (URIBL: too many queries / public resolver)", K::error},
    {"2", "black: spam domain"},
    {"4", "grey: bulk sender domain"},
    {"8", "red: newly seen in spam"},
};
constexpr ReturnCode kSemUri[] = {{"127.0.0.2", "listed: domain seen in spam"}};
constexpr ReturnCode kDnswl[] = {
    {"127.0.0.255", "query refused (dnswl.org: too many queries)", K::error},
};
constexpr ReturnCode kAllowed[] = {{"127.0.0.2", "on the allow-list"}};

constexpr ZoneInfo kZones[] = {
    {"zen.spamhaus.org", ZoneKind::ip, "Spamhaus", kZen},
    {"sbl.spamhaus.org", ZoneKind::ip, "Spamhaus", kSbl, false, false, false, false},
    {"xbl.spamhaus.org", ZoneKind::ip, "Spamhaus", kXbl, false, false, false, false},
    {"pbl.spamhaus.org", ZoneKind::ip, "Spamhaus", kPbl, false, false, false, false},
    {"dbl.spamhaus.org", ZoneKind::domain, "Spamhaus", kDbl},
    {"bl.spamcop.net", ZoneKind::ip4, "SpamCop", kListed},
    {"b.barracudacentral.org", ZoneKind::ip4, "Barracuda", kListed},
    {"psbl.surriel.com", ZoneKind::ip4, "PSBL", kListed},
    {"dnsbl-1.uceprotect.net", ZoneKind::ip4, "UCEPROTECT (single IPs)", kListed},
    {"dnsbl-2.uceprotect.net", ZoneKind::ip4, "UCEPROTECT (networks)", kListed},
    {"dnsbl-3.uceprotect.net", ZoneKind::ip4, "UCEPROTECT (ASNs)", kListed},
    {"bl.mailspike.net", ZoneKind::ip4, "Mailspike", kMailspike},
    {"z.mailspike.net", ZoneKind::ip4, "Mailspike", kMailspikeZ},
    {"bl.spameatingmonkey.net", ZoneKind::ip4, "Spam Eating Monkey", kListed},
    {"bl.ipv6.spameatingmonkey.net", ZoneKind::ip6, "Spam Eating Monkey", kListed},
    {"backscatter.spameatingmonkey.net", ZoneKind::ip4, "Spam Eating Monkey", kBackscatter},
    {"bl.blocklist.de", ZoneKind::ip4, "blocklist.de", kListed},
    {"bip.virusfree.cz", ZoneKind::ip4, "virusfree.cz", kListed},
    {"ips.backscatterer.org", ZoneKind::ip4, "Backscatterer (UCEPROTECT)", kBackscatter},
    {"truncate.gbudb.net", ZoneKind::ip4, "GBUdb", kListed},
    {"dnsbl.justspam.org", ZoneKind::ip4, "JustSpam", kListed},
    {"dnsbl.dronebl.org", ZoneKind::ip, "DroneBL", kDronebl},
    {"all.s5h.net", ZoneKind::ip4, "s5h.net", kListed},
    {"rbl.interserver.net", ZoneKind::ip4, "InterServer", kListed},
    {"spam.spamrats.com", ZoneKind::ip4, "SpamRATS", kSpamratsSpam},
    {"dyna.spamrats.com", ZoneKind::ip4, "SpamRATS", kSpamratsDyna, false, false, false, false},
    {"noptr.spamrats.com", ZoneKind::ip4, "SpamRATS", kSpamratsNoPtr, false, false, false, false},
    {"dnsbl.spfbl.net", ZoneKind::ip, "SPFBL", kSpfbl},
    {"hostkarma.junkemailfilter.com", ZoneKind::ip4, "Junk Email Filter", kHostkarma, false, false,
     true},
    {"multi.surbl.org", ZoneKind::domain, "SURBL", kSurbl, true},
    {"multi.uribl.com", ZoneKind::domain, "URIBL", kUribl, true},
    {"uribl.spameatingmonkey.net", ZoneKind::domain, "Spam Eating Monkey", kSemUri},
    {"list.dnswl.org", ZoneKind::ip, "dnswl.org", kDnswl, false, true, false, false},
    {"swl.spamhaus.org", ZoneKind::ip, "Spamhaus", kAllowed, false, true, false, false},
    {"wl.mailspike.net", ZoneKind::ip4, "Mailspike", kAllowed, false, true, false, false},
};

}  // namespace

std::span<const ZoneInfo> catalogue() {
    return kZones;
}

const ZoneInfo* find_zone(std::string_view name) {
    std::string n = dns::canonical_name(name);
    for (const ZoneInfo& z : kZones) {
        if (z.name == n) return &z;
    }
    return nullptr;
}

bool serves(const ZoneInfo* zone, Target::Kind kind) {
    if (!zone) return true;
    switch (zone->kind) {
        case ZoneKind::ip:
            return kind != Target::Kind::domain;
        case ZoneKind::ip4:
            return kind == Target::Kind::ipv4;
        case ZoneKind::ip6:
            return kind == Target::Kind::ipv6;
        case ZoneKind::domain:
            return kind == Target::Kind::domain;
    }
    return false;
}

std::vector<std::string> default_zones(Target::Kind kind) {
    std::vector<std::string> out;
    for (const ZoneInfo& z : kZones) {
        if (z.in_defaults && !z.allow_list && serves(&z, kind)) out.emplace_back(z.name);
    }
    return out;
}

std::span<const ReturnCode> generic_error_codes() {
    return kGenericErrors;
}

}  // namespace holdfast::dnsbl
