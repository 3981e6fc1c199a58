#include "scan/scanner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "metrics/events.hpp"
#include "scan/clients.hpp"
#include "scan/selection.hpp"

namespace holdfast::scan {

using namespace asio::experimental::awaitable_operators;

struct Scanner::Impl {
    Impl(asio::any_io_executor ex, std::size_t n, const policy::CustomerDomains* c)
        : clamd(ex, n), rspamd(ex, n), customers(c) {}
    ClamdClient clamd;
    RspamdClient rspamd;
    const policy::CustomerDomains* customers;
};

Scanner::Scanner(asio::any_io_executor ex, std::size_t connections,
                 const policy::CustomerDomains* customers)
    : impl_(std::make_unique<Impl>(ex, connections, customers)) {}

Scanner::~Scanner() = default;

namespace {

asio::awaitable<VirusResult> no_virus_scan() {
    co_return VirusResult{};
}
asio::awaitable<SpamResult> no_spam_scan() {
    co_return SpamResult{};
}

// Adds the decision's headers (and Subject) at the top of the message.
std::error_code edit_message(const Decision& d, std::string& message, queue::BodyFile* body) {
    constexpr std::size_t kWindow = 64 * 1024;  // where a Subject field is looked for
    if (!body) {
        HeadEdit e = plan_head_edit(std::string_view(message).substr(0, kWindow),
                                    message.size() <= kWindow, d);
        message.replace(0, e.old_length, e.head);
        return {};
    }
    std::string window;
    if (auto ec = body->read(0, kWindow, window)) return ec;
    HeadEdit e = plan_head_edit(window, body->size() <= kWindow, d);
    return body->replace_head(e.old_length, e.head);
}

// A log value without spaces: the verdict when the scanner answered, else off / error.
std::string scanner_field(Status s, std::string_view verdict) {
    std::string v = s == Status::ok ? std::string(verdict) : status_name(s);
    std::replace(v.begin(), v.end(), ' ', '-');
    return v;
}

}  // namespace

asio::awaitable<std::optional<smtp::Reply>> Scanner::scan(const config::Config& config,
                                                          const Request& req, std::string& message,
                                                          queue::BodyFile* body) {
    const config::Scan& sc = config.scan;
    if (!sc.enabled()) co_return std::nullopt;
    auto customers = impl_->customers ? impl_->customers->snapshot() : nullptr;
    std::string reason = scan_reason(config, customers.get(), req.sender, req.recipients);
    if (reason.empty()) co_return std::nullopt;
    Source source(message, body);
    if (source.size() > sc.max_size) {
        metrics::events().scan_skipped.inc();
        spdlog::info("id={} scan=skipped reason=\"larger than max_size\" size={} max_size={}",
                     req.queue_id, source.size(), sc.max_size);
        co_return std::nullopt;
    }
    RspamdEnvelope env{req.client_ip, req.helo, req.sender, {}, req.auth_user, req.queue_id};
    for (const auto& r : req.recipients) env.recipients.push_back(r.address);

    auto started = std::chrono::steady_clock::now();
    // Named first: GCC 12 destroys temporaries of a conditional inside a
    // co_await expression twice.
    asio::awaitable<VirusResult> virus_scan =
        sc.clamd.empty() ? no_virus_scan() : impl_->clamd.scan(sc.clamd, sc.clamd_timeout, source);
    asio::awaitable<SpamResult> spam_scan =
        sc.rspamd.empty() ? no_spam_scan()
                          : impl_->rspamd.scan(sc.rspamd, sc.rspamd_timeout, source, env);
    std::tuple<VirusResult, SpamResult> both =
        co_await (std::move(virus_scan) && std::move(spam_scan));
    const VirusResult& virus = std::get<0>(both);
    const SpamResult& spam = std::get<1>(both);
    Decision d = decide(virus, spam, sc.on_error);
    if (req.keep_subject) d.subject.reset();
    std::string edit_error;
    if (d.accept && (!d.headers.empty() || d.subject)) {
        if (auto ec = edit_message(d, message, body)) {
            edit_error = ec.message();
            if (sc.on_error == config::ScanOnError::tempfail) {
                d.accept = false;
                d.refusal =
                    smtp::Reply(451, "4.3.0", "Error: queue file write error, try again later");
                d.outcome = "error";
            }
        }
    }
    auto total = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    std::string errors;
    if (!virus.error.empty()) errors += " clamd_error=\"" + printable(virus.error, 200) + "\"";
    if (!spam.error.empty()) errors += " rspamd_error=\"" + printable(spam.error, 200) + "\"";
    if (!edit_error.empty()) errors += " edit_error=\"" + edit_error + "\"";
    metrics::Events& counted = metrics::events();
    counted.scan_messages.inc(d.accept ? 0 : 1);
    if (!errors.empty()) counted.scan_errors.inc();
    counted.scan_seconds.observe(total);
    spdlog::info(
        "id={} scan={} reason={} size={} clamd={} clamd_ms={} rspamd={} rspamd_ms={} "
        "score={:.2f} scan_ms={} decision={} reply=\"{}\"{}",
        req.queue_id, d.outcome, reason, source.size(),
        virus.reply.kind == ClamdReply::Kind::virus ? "virus:" + virus.reply.text
                                                    : scanner_field(virus.status, "clean"),
        virus.took.count(), scanner_field(spam.status, action_name(spam.reply.action)),
        spam.took.count(), spam.reply.score, total.count(), d.accept ? "accept" : "refuse",
        d.accept ? std::string("-") : d.refusal.summary(), errors);
    if (d.accept) co_return std::nullopt;
    co_return d.refusal;
}

}  // namespace holdfast::scan
