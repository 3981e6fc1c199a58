#include "spf/check.hpp"

#include "dns/error.hpp"
#include "spf/macro.hpp"
#include "util/strings.hpp"

namespace holdfast::spf {
namespace asio = boost::asio;
namespace {

constexpr unsigned kMaxDnsMechanisms = 10;  // RFC 7208 4.6.4
constexpr unsigned kMaxVoidLookups = 2;
constexpr unsigned kMaxMxNames = 10;

// A name that can be queried: labels of 1-63 octets (underscores allowed:
// "_spf.example.com"), at most 253 in all (RFC 7208 4.3).
bool queryable(std::string_view d) {
    if (d.empty() || d.size() > 253) return false;
    std::size_t label = 0;
    for (char c : d) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
        } else if (c <= 0x20 || c >= 0x7f || ++label > 63) {
            return false;
        }
    }
    return label > 0;
}

bool is_void(std::error_code ec) {
    return ec == dns::Errc::nxdomain || ec == dns::Errc::no_data;
}

enum class Match { yes, no, error };

class Evaluator {
  public:
    Evaluator(Lookup lookup, MacroContext ctx) : lookup_(std::move(lookup)), ctx_(std::move(ctx)) {}

    asio::awaitable<Result> check_host(std::string domain) {
        if (!queryable(domain)) co_return Result::none;  // RFC 7208 4.3
        dns::Result r = co_await lookup_(domain, dns::RrType::txt);
        if (r.error) {
            if (is_void(r.error)) co_return Result::none;
            why("DNS error looking up " + domain + ": " + r.error.message());
            co_return Result::temperror;
        }
        const std::string* text = nullptr;
        for (const auto& t : r.answer.texts) {
            if (!is_spf_record(t)) continue;
            if (text) {
                why(domain + " has more than one SPF record");
                co_return Result::permerror;
            }
            text = &t;
        }
        if (!text) co_return Result::none;
        auto record = Record::parse(*text);
        if (!record) {
            why("the SPF record of " + domain + " does not parse");
            co_return Result::permerror;
        }
        for (const Mechanism& m : record->mechanisms) {
            Match match = Match::no;
            Result error = Result::permerror;
            match = co_await evaluate(m, domain, error);
            if (match == Match::error) co_return error;
            if (match == Match::yes) {
                why("matched " + describe(m) + " in the record of " + domain);
                co_return result_of(m.qualifier);
            }
        }
        if (record->redirect) {
            if (++dns_mechanisms_ > kMaxDnsMechanisms) co_return too_many();
            auto target = target_of(*record->redirect, domain);
            if (!target) co_return Result::permerror;
            Result r2 = co_await check_host(*target);
            if (r2 == Result::none) {
                why("redirect to " + *target + ", which has no SPF record");
                co_return Result::permerror;
            }
            co_return r2;
        }
        why("no mechanism matched in the record of " + domain);
        co_return Result::neutral;
    }

    const std::string& reason() const { return reason_; }

  private:
    void why(std::string text) {
        if (reason_.empty()) reason_ = std::move(text);
    }

    Result too_many() {
        why("more than 10 DNS-querying mechanisms");
        return Result::permerror;
    }

    static std::string describe(const Mechanism& m) {
        static const char* const names[] = {"all", "include", "a",   "mx",
                                            "ptr", "ip4",     "ip6", "exists"};
        std::string s = names[static_cast<int>(m.kind)];
        if (m.kind == Mechanism::Kind::ip4 || m.kind == Mechanism::Kind::ip6) {
            s += ":" + m.address.str();
        } else if (!m.domain.empty()) {
            s += ":" + m.domain;
        }
        return s;
    }

    std::optional<std::string> target_of(const std::string& spec, const std::string& domain) {
        MacroContext c = ctx_;
        c.domain = domain;
        auto t = expand(spec, c);
        if (!t) why("a macro in \"" + spec + "\" does not expand");
        if (t) *t = util::ascii_lower(*t);
        return t;
    }

    // A lookup for a mechanism: void answers count towards the limit of 2.
    asio::awaitable<std::optional<dns::Result>> query(const std::string& name, dns::RrType type,
                                                      Result& error) {
        dns::Result r = co_await lookup_(name, type);
        if (!r.error) co_return r;
        if (is_void(r.error)) {
            if (++voids_ > kMaxVoidLookups) {
                why("more than 2 void DNS lookups");
                error = Result::permerror;
                co_return std::nullopt;
            }
            co_return r;
        }
        why("DNS error looking up " + name + ": " + r.error.message());
        error = Result::temperror;
        co_return std::nullopt;
    }

    bool address_matches(const dns::Answer& a, const Mechanism& m) const {
        for (const auto& addr : a.addresses) {
            if (in_network(ctx_.ip, addr, ctx_.ip.is_v4() ? m.cidr4 : m.cidr6)) return true;
        }
        return false;
    }

    asio::awaitable<Match> evaluate(const Mechanism& m, const std::string& domain, Result& error) {
        using K = Mechanism::Kind;
        const dns::RrType addr_type = ctx_.ip.is_v4() ? dns::RrType::a : dns::RrType::aaaa;
        switch (m.kind) {
            case K::all:
                co_return Match::yes;
            case K::ip4:
            case K::ip6:
                co_return in_network(ctx_.ip, m.address, m.kind == K::ip4 ? m.cidr4 : m.cidr6)
                    ? Match::yes
                    : Match::no;
            default:
                break;
        }
        if (++dns_mechanisms_ > kMaxDnsMechanisms) {
            error = too_many();
            co_return Match::error;
        }
        auto target = target_of(m.domain.empty() ? domain : m.domain, domain);
        if (!target) co_return Match::error;
        switch (m.kind) {
            case K::include: {
                Result r = co_await check_host(*target);
                if (r == Result::pass) co_return Match::yes;
                if (r == Result::temperror) {
                    error = Result::temperror;
                    co_return Match::error;
                }
                if (r == Result::permerror || r == Result::none) {
                    why("include:" + *target + " gave " + result_name(r));
                    co_return Match::error;
                }
                co_return Match::no;
            }
            case K::a:
            case K::exists: {
                auto r = co_await query(*target, m.kind == K::exists ? dns::RrType::a : addr_type,
                                        error);
                if (!r) co_return Match::error;
                if (r->error) co_return Match::no;
                if (m.kind == K::exists) co_return Match::yes;
                co_return address_matches(r->answer, m) ? Match::yes : Match::no;
            }
            case K::mx: {
                auto r = co_await query(*target, dns::RrType::mx, error);
                if (!r) co_return Match::error;
                if (r->error) co_return Match::no;
                if (r->answer.mx.size() > kMaxMxNames) {
                    why("more than 10 MX names for " + *target);
                    co_return Match::error;
                }
                for (const auto& mx : r->answer.mx) {
                    if (mx.host.empty()) continue;  // null MX
                    dns::Result h = co_await lookup_(mx.host, addr_type);
                    if (h.error && !is_void(h.error)) {
                        why("DNS error looking up " + mx.host + ": " + h.error.message());
                        error = Result::temperror;
                        co_return Match::error;
                    }
                    if (!h.error && address_matches(h.answer, m)) co_return Match::yes;
                }
                co_return Match::no;
            }
            default:
                co_return Match::no;  // ptr: never looked up, never matches
        }
    }

    Lookup lookup_;
    MacroContext ctx_;
    unsigned dns_mechanisms_ = 0;
    unsigned voids_ = 0;
    std::string reason_;
};

}  // namespace

asio::awaitable<Outcome> check(Lookup lookup, Request request) {
    Outcome out;
    std::string sender = request.sender;
    if (sender.empty() || sender.find('@') == std::string::npos) {
        sender = "postmaster@" + request.helo;  // RFC 7208 2.4
    }
    out.sender = sender;
    out.domain = util::ascii_lower(sender.substr(sender.rfind('@') + 1));
    MacroContext ctx{sender, out.domain, request.ip, request.helo};
    Evaluator e(std::move(lookup), std::move(ctx));
    out.result = co_await e.check_host(out.domain);
    out.reason = e.reason();
    co_return out;
}

}  // namespace holdfast::spf
