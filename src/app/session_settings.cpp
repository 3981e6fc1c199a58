#include "app/session_settings.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/ssl/context.hpp>

#include "dkim/keyring.hpp"
#include "dmarc/record.hpp"
#include "dnsbl/checker.hpp"
#include "policy/customer_domains.hpp"
#include "policy/recipient_file.hpp"
#include "util/file.hpp"

namespace holdfast::app {
namespace asio = boost::asio;
namespace {

std::shared_ptr<const auth::UsersFile> load_users(const config::Config& c) {
    if (c.auth.users.empty()) return nullptr;
    std::string text;
    if (auto ec = util::read_file(c.auth.users, text)) {
        throw ConfigError("[auth] users " + c.auth.users + ": " + ec.message());
    }
    std::vector<auth::UsersFile::LoadError> errors;
    auto users = auth::UsersFile::parse(text, errors);
    for (const auto& e : errors) spdlog::error("{}:{}: {}", c.auth.users, e.line, e.message);
    if (!errors.empty()) throw ConfigError("[auth] users " + c.auth.users + " has errors");
    return std::make_shared<const auth::UsersFile>(std::move(users));
}

// Each [[backup]] recipients_file, read now: like the users file, one that
// is missing or has a malformed line stops serve (exit 2), naming FILE:LINE.
policy::RecipientFiles load_recipient_files(const config::Config& c) {
    policy::RecipientFiles files;
    bool bad = false;
    for (const auto& b : c.backups) {
        if (b.recipients_file.empty()) continue;
        std::vector<policy::RecipientFileError> errors;
        auto file = std::make_shared<policy::RecipientFile>(b.recipients_file, b.domain, errors);
        for (const auto& e : errors) {
            if (e.line) {
                spdlog::error("{}:{}: {}", b.recipients_file, e.line, e.message);
            } else {
                spdlog::error("{}: {}", b.recipients_file, e.message);
            }
        }
        bad = bad || !errors.empty();
        files[b.domain] = std::move(file);
    }
    if (bad) throw ConfigError("[[backup]] recipients_file has errors");
    return files;
}

std::shared_ptr<asio::ssl::context> make_tls(const config::Config& c) {
    if (!c.tls.enabled()) return nullptr;
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    // TLS 1.2 and newer only; no compression, no renegotiation tricks.
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                     asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(c.tls.cert, ec);
    if (ec) throw ConfigError("[tls] cert " + c.tls.cert + ": " + ec.message());
    ctx->use_private_key_file(c.tls.key, asio::ssl::context::pem, ec);
    if (ec) throw ConfigError("[tls] key " + c.tls.key + ": " + ec.message());
    // A key from another certificate would fail every handshake later.
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
        throw ConfigError("[tls] key " + c.tls.key + " does not match the certificate " +
                          c.tls.cert);
    }
    return ctx;
}

// [[dkim]] keys: read now, as root at start (keys may be root's), as
// server.user at a reload.
std::shared_ptr<const dkim::KeyRing> load_dkim(const config::Config& c) {
    try {
        return dkim::KeyRing::load(c.dkim);
    } catch (const std::runtime_error& e) {
        throw ConfigError(e.what());
    }
}

std::shared_ptr<const dmarc::PublicSuffixList> load_psl(const config::Config& c) {
    if (c.checks.dmarc == config::DmarcAction::off) return nullptr;
    auto psl = dmarc::PublicSuffixList::load();
    if (!psl) {
        throw ConfigError(std::string("[checks] dmarc needs the Public Suffix List ") +
                          dmarc::PublicSuffixList::kDebianPath + " (Debian package publicsuffix)");
    }
    return std::make_shared<const dmarc::PublicSuffixList>(std::move(*psl));
}

}  // namespace

std::shared_ptr<const smtp::SessionSettings> make_session_settings(
    std::shared_ptr<const config::Config> config, const policy::CustomerDomains& customers,
    dns::Resolver& resolver) {
    const config::Config& c = *config;
    std::shared_ptr<const dnsbl::Checker> dnsbl;
    if (!c.dnsbl.zones.empty()) {
        dnsbl = std::make_shared<const dnsbl::Checker>(resolver, c.dnsbl, c.relay.networks);
    }
    auto files = load_recipient_files(c);
    auto users = load_users(c);
    auto tls = make_tls(c);
    return std::make_shared<const smtp::SessionSettings>(smtp::SessionSettings{
        config, policy::RecipientPolicy(c, std::move(files), &customers), std::move(users),
        std::move(tls), std::move(dnsbl), load_dkim(c), load_psl(c)});
}

smtp::ConnectionCounter::Limits connection_limits(const config::Config& config,
                                                  unsigned max_connections) {
    return {config.limits.connections_per_ip, max_connections, config.limits.exempt_networks};
}

}  // namespace holdfast::app
