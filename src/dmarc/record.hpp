#pragma once
// DMARC policy records (RFC 7489 6.3) and the organizational domain
// (RFC 7489 3.2) from the Public Suffix List. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace holdfast::dmarc {

enum class Policy { none, quarantine, reject };
const char* policy_name(Policy p);

struct Record {
    Policy p = Policy::none;
    std::optional<Policy> sp;  // subdomains; absent = p
    bool strict_dkim = false;  // adkim=s
    bool strict_spf = false;   // aspf=s
    unsigned pct = 100;
    // The text of a TXT record at _dmarc.<domain>; nullopt when it is not
    // a valid DMARC record (then it is as if there were none, RFC 7489 6.6.3).
    static std::optional<Record> parse(std::string_view text);
};

bool is_dmarc_record(std::string_view text);  // starts with "v=DMARC1"

// The Public Suffix List (Debian's publicsuffix package): rules, wildcards,
// exceptions; lines with "//" are comments.
class PublicSuffixList {
  public:
    static constexpr const char* kDebianPath = "/usr/share/publicsuffix/public_suffix_list.dat";
    static PublicSuffixList parse(std::string_view text);
    // nullopt when the file cannot be read.
    static std::optional<PublicSuffixList> load(const std::string& path = kDebianPath);
    // The registrable domain: the public suffix plus one label ("example.co.uk"
    // for "mail.example.co.uk"); the domain itself when it is a public suffix.
    std::string organizational_domain(std::string_view domain) const;

  private:
    std::unordered_set<std::string> rules_, wildcards_, exceptions_;
};

}  // namespace holdfast::dmarc
