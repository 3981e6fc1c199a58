// [checks] at the mx role (docs/authentication.md): SPF of MAIL FROM, asked
// at the first RCPT (where an asynchronous lookup fits the handlers; the
// refusal is the same 550 5.7.23 either way), and the
// Authentication-Results: field (RFC 8601) added at the end of data.
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "dmarc/evaluate.hpp"
#include "dns/awaitable.hpp"
#include "mail/auth_results.hpp"
#include "queue/spool.hpp"
#include "smtp/server/session.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;

std::error_code Session::drop_forged_auth_results(const std::string& queue_id, std::string& message,
                                                  queue::BodyFile* body) const {
    // Header sections beyond this are not looked at (nor are they signed
    // or verified: dkim::HeaderSection's bound is larger, but a message
    // with this much header is not what a forger needs).
    constexpr std::size_t kHeadWindow = 64 * 1024;
    const std::string& id = config().server.hostname;
    std::string head;
    if (body) {
        if (auto ec = body->read(0, kHeadWindow, head)) return ec;
    } else {
        head = message.substr(0, kHeadWindow);
    }
    auto end = mail::header_section_end(head);
    if (!end && !body && message.size() <= kHeadWindow) end = head.size();  // no body at all
    if (!end) return {};
    auto cleaned = mail::without_auth_results_of(std::string_view(head).substr(0, *end), id);
    if (!cleaned) return {};
    spdlog::info(
        "id={} client={} action=removed reason=\"Authentication-Results with our "
        "authserv-id {} from the sender\"",
        queue_id, client_text(), id);
    if (body) return body->replace_head(*end, *cleaned);
    message.replace(0, *end, *cleaned);
    return {};
}

bool Session::checks_apply() const {
    if (listen_.role != config::Role::mx || !ctx_.resolver || !auth_user_.empty()) return false;
    const config::Checks& c = config().checks;
    if (c.spf == config::SpfAction::off && c.dmarc == config::DmarcAction::off) return false;
    const auto& nets = config().relay.networks;
    return std::none_of(nets.begin(), nets.end(),
                        [&](const util::IpNetwork& n) { return n.contains(peer_); });
}

asio::awaitable<std::optional<Reply>> Session::check_spf() {
    if (!txn_ || !checks_apply()) co_return std::nullopt;
    if (!txn_->spf) {
        dns::Resolver* resolver = ctx_.resolver;
        spf::Lookup lookup = [resolver](std::string name,
                                        dns::RrType type) -> asio::awaitable<dns::Result> {
            co_return co_await dns::query(*resolver, std::move(name), type);
        };
        // Named, not a braced temporary inside co_await: GCC 12 destroys
        // such temporaries twice.
        spf::Request request{peer_, txn_->sender.str(), helo_};
        spf::Outcome outcome = co_await spf::check(std::move(lookup), std::move(request));
        if (!txn_) co_return std::nullopt;  // RSET or QUIT while we waited
        txn_->spf = std::move(outcome);
        spdlog::info("client={} from={} spf={} domain={} reason=\"{}\"", client_text(),
                     txn_->sender.bracketed(), spf::result_name(txn_->spf->result),
                     txn_->spf->domain, txn_->spf->reason);
    }
    // Every RCPT of the transaction gets the same answer.
    const spf::Outcome& o = *txn_->spf;
    if (config().checks.spf != config::SpfAction::reject_fail) co_return std::nullopt;
    if (o.result == spf::Result::fail) {
        // RFC 7372 3.2: 5.7.23 "SPF validation failed".
        co_return Reply(550, "5.7.23",
                        "SPF validation failed: " + o.domain + " does not permit " + peer_.str() +
                            " to send its mail");
    }
    if (o.result == spf::Result::temperror) {
        co_return Reply(451, "4.7.24", "SPF validation error: " + o.reason + "; try again later");
    }
    co_return std::nullopt;
}

namespace {

// A TXT lookup: the texts, none (the name or record does not exist), or a
// temporary failure.
struct Txt {
    std::vector<std::string> texts;
    bool temporary = false;
};

asio::awaitable<Txt> txt(dns::Resolver& resolver, std::string name) {
    dns::Result r = co_await dns::query(resolver, std::move(name), dns::RrType::txt);
    Txt out;
    if (!r.error) {
        out.texts = std::move(r.answer.texts);
    } else if (r.error != dns::Errc::nxdomain && r.error != dns::Errc::no_data) {
        out.temporary = true;
    }
    co_return out;
}

}  // namespace

asio::awaitable<Session::CheckResults> Session::finish_checks(const Transaction& txn,
                                                              dkim::MessageVerifier* verifier,
                                                              const std::string& id) {
    CheckResults out;
    std::string& h = out.header;
    h = "Authentication-Results: " + config().server.hostname;
    if (txn.spf) {
        const spf::Outcome& o = *txn.spf;
        h += ";\r\n\tspf=" + std::string(spf::result_name(o.result));
        h += txn.sender.is_null() ? " smtp.helo=" + helo_ : " smtp.mailfrom=" + o.sender;
    }
    if (verifier) {
        verifier->finish();
        dmarc::Input in;
        in.from_domain = dkim::from_domain(verifier->headers());
        in.spf_pass = txn.spf && txn.spf->result == spf::Result::pass;
        in.spf_domain = txn.spf ? txn.spf->domain : "";
        bool dkim_temporary = false;
        const auto now = std::chrono::system_clock::now();
        for (std::size_t i = 0; i < verifier->signatures(); ++i) {
            std::string name = verifier->key_name(i);
            Txt key;
            if (!name.empty()) key = co_await txt(*ctx_.resolver, name);
            std::optional<std::string> record;
            if (!key.texts.empty()) record = key.texts.front();
            dkim::SignatureResult r = verifier->verify(i, record, key.temporary, now);
            spdlog::info("id={} dkim={} d={} s={} reason=\"{}\"", id, dkim::verdict_name(r.verdict),
                         r.domain, r.selector, r.reason);
            h += ";\r\n\tdkim=" + std::string(dkim::verdict_name(r.verdict));
            if (!r.reason.empty()) h += " (" + r.reason + ")";
            if (!r.domain.empty()) {
                h += " header.d=" + r.domain + " header.s=" + r.selector +
                     " header.a=" + r.algorithm;
            }
            if (r.verdict == dkim::Verdict::pass) in.dkim_passing.push_back(r.domain);
            dkim_temporary = dkim_temporary || r.verdict == dkim::Verdict::temperror;
        }
        if (verifier->signatures() == 0) h += ";\r\n\tdkim=none";
        // DMARC: the record at the From: domain, else at its organizational domain.
        dmarc::Result result = dmarc::Result::none;
        dmarc::Evaluation e;
        std::optional<dmarc::Record> record;
        if (!in.from_domain.empty()) {
            const std::string org = settings_->psl->organizational_domain(in.from_domain);
            bool at_org = false;
            std::string name = "_dmarc." + in.from_domain;
            Txt t = co_await txt(*ctx_.resolver, name);
            if (!t.temporary && t.texts.empty() && org != in.from_domain) {
                at_org = true;
                name = "_dmarc." + org;
                t = co_await txt(*ctx_.resolver, name);
            }
            std::size_t found = 0;
            for (const auto& text : t.texts) {
                if (!dmarc::is_dmarc_record(text)) continue;
                ++found;
                record = dmarc::Record::parse(text);
            }
            if (t.temporary) {
                result = dmarc::Result::temperror;
            } else if (found > 1) {
                record.reset();  // RFC 7489 6.6.3: more than one record is none
            }
            if (record) {
                e = dmarc::evaluate(*settings_->psl, in, *record, at_org,
                                    static_cast<unsigned>(std::rand() % 100));
                result = e.result;
            }
        }
        h += ";\r\n\tdmarc=" + std::string(dmarc::result_name(result));
        if (record && result == dmarc::Result::fail) {
            h += " (p=" + std::string(dmarc::policy_name(record->p)) + ")";
            h += " policy.dmarc=" + std::string(dmarc::policy_name(e.policy));
        }
        if (!in.from_domain.empty()) h += " header.from=" + in.from_domain;
        spdlog::info("id={} dmarc={} from_domain={} policy={}", id, dmarc::result_name(result),
                     in.from_domain, record ? dmarc::policy_name(e.policy) : "-");
        if (config().checks.dmarc == config::DmarcAction::enforce &&
            result == dmarc::Result::fail && e.policy == dmarc::Policy::reject) {
            // A DKIM key we could not fetch might have passed: ask again later.
            out.refusal = dkim_temporary
                              ? Reply(451, "4.7.5",
                                      "DMARC policy check incomplete (DKIM key lookup failed), "
                                      "try again later")
                              : Reply(550, "5.7.1",
                                      "Message rejected by the DMARC policy of " + in.from_domain);
        }
    }
    if (h.find(';') == std::string::npos) h += "; none";
    h += "\r\n";
    co_return out;
}

}  // namespace holdfast::smtp
