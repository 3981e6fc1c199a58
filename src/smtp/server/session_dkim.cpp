// DKIM signing at the end of data (docs/authentication.md): mail from
// relay.networks clients and authenticated users is signed with every
// [[dkim]] key of its From: domain, before it is spooled.
#include <spdlog/spdlog.h>

#include "dkim/keyring.hpp"
#include "smtp/server/session.hpp"

namespace holdfast::smtp {

bool Session::dkim_signs() const {
    if (!settings_->dkim || settings_->dkim->empty()) return false;
    if (!auth_user_.empty()) return true;
    const auto& nets = config().relay.networks;
    return std::any_of(nets.begin(), nets.end(),
                       [&](const util::IpNetwork& n) { return n.contains(peer_); });
}

std::string Session::dkim_signatures(dkim::MessageHasher& hasher, const std::string& id) const {
    hasher.finish();
    if (hasher.headers().overflow()) {
        spdlog::warn("id={} dkim=none reason=\"header section too large to sign\"", id);
        return {};
    }
    const std::string domain = dkim::from_domain(hasher.headers());
    auto keys = settings_->dkim->for_domain(domain);
    if (keys.empty()) return {};
    const auto now = std::chrono::system_clock::now();
    std::string fields;
    for (const dkim::SigningKey* key : keys) {
        std::string field = dkim::sign(hasher, *key, now);
        if (field.empty()) {
            spdlog::error("id={} dkim=failed d={} s={}", id, key->domain, key->selector);
            continue;
        }
        spdlog::info("id={} dkim=signed d={} s={} a={}", id, key->domain, key->selector,
                     dkim::algorithm_name(key->key.type()));
        fields += field;  // in configuration order, the first on top
    }
    return fields;
}

}  // namespace holdfast::smtp
