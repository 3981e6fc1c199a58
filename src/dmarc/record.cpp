#include "dmarc/record.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "dkim/tag_list.hpp"
#include "util/strings.hpp"

namespace holdfast::dmarc {
namespace {

std::optional<Policy> parse_policy(std::string_view v) {
    std::string s = util::ascii_lower(v);
    if (s == "none") return Policy::none;
    if (s == "quarantine") return Policy::quarantine;
    if (s == "reject") return Policy::reject;
    return std::nullopt;
}

std::vector<std::string_view> labels(std::string_view d) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos <= d.size()) {
        std::size_t dot = d.find('.', pos);
        if (dot == std::string_view::npos) dot = d.size();
        out.push_back(d.substr(pos, dot - pos));
        pos = dot + 1;
    }
    return out;
}

}  // namespace

const char* policy_name(Policy p) {
    switch (p) {
        case Policy::none:
            return "none";
        case Policy::quarantine:
            return "quarantine";
        case Policy::reject:
            return "reject";
    }
    return "?";
}

bool is_dmarc_record(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    if (!text.starts_with("v=DMARC1")) return false;
    text.remove_prefix(8);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    return text.empty() || text.front() == ';';
}

std::optional<Record> Record::parse(std::string_view text) {
    if (!is_dmarc_record(text)) return std::nullopt;
    auto tags = dkim::TagList::parse(text);
    if (!tags || tags->tags().empty() || tags->tags()[0].name != "v") return std::nullopt;
    Record r;
    const std::string* p = tags->find("p");
    auto policy = p ? parse_policy(*p) : std::nullopt;
    if (!policy) {
        // RFC 7489 6.6.3: without a valid p=, a record with rua= is p=none;
        // otherwise there is no policy.
        if (!tags->find("rua")) return std::nullopt;
        policy = Policy::none;
    }
    r.p = *policy;
    if (const std::string* sp = tags->find("sp")) r.sp = parse_policy(*sp);  // invalid: ignored
    if (const std::string* a = tags->find("adkim")) r.strict_dkim = util::ascii_lower(*a) == "s";
    if (const std::string* a = tags->find("aspf")) r.strict_spf = util::ascii_lower(*a) == "s";
    if (const std::string* pct = tags->find("pct")) {
        unsigned v = 0;
        auto [ptr, ec] = std::from_chars(pct->data(), pct->data() + pct->size(), v);
        if (ec == std::errc{} && ptr == pct->data() + pct->size() && v <= 100) r.pct = v;
    }
    return r;
}

PublicSuffixList PublicSuffixList::parse(std::string_view text) {
    PublicSuffixList l;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        auto ws = line.find_first_of(" \t\r");
        line = line.substr(0, ws);
        if (line.empty() || line.starts_with("//")) continue;
        std::string rule = util::ascii_lower(line);
        if (rule.starts_with("!")) {
            l.exceptions_.insert(rule.substr(1));
        } else if (rule.starts_with("*.")) {
            l.wildcards_.insert(rule.substr(2));
        } else {
            l.rules_.insert(rule);
        }
    }
    return l;
}

std::optional<PublicSuffixList> PublicSuffixList::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return parse(s.str());
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
    std::string d = util::ascii_lower(domain);
    while (!d.empty() && d.back() == '.') d.pop_back();
    auto parts = labels(d);
    // The longest matching rule: the number of labels of the public suffix.
    std::size_t suffix = 1;  // the implicit "*" rule
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string tail(d.substr(static_cast<std::size_t>(parts[i].data() - d.data())));
        std::size_t n = parts.size() - i;
        if (exceptions_.contains(tail)) {
            suffix = n - 1;  // an exception wins over every other rule
            break;
        }
        if (rules_.contains(tail)) suffix = std::max(suffix, n);
        if (i + 1 < parts.size()) {
            std::string parent(d.substr(static_cast<std::size_t>(parts[i + 1].data() - d.data())));
            if (wildcards_.contains(parent)) suffix = std::max(suffix, n);
        }
    }
    if (parts.size() <= suffix) return d;
    std::size_t start = parts.size() - suffix - 1;
    return std::string(d.substr(static_cast<std::size_t>(parts[start].data() - d.data())));
}

}  // namespace holdfast::dmarc
