// [[dkim]] and [checks] (docs/authentication.md): every key file must load
// and be of the type it claims, so a typo shows in check-config, not as
// mail going out unsigned.
#include <fmt/format.h>

#include <set>

#include "config/validate.hpp"
#include "dkim/key.hpp"
#include "mail/address.hpp"

namespace holdfast::config {

void check_mail_auth(const toml::table& root, const Config& c, Diagnostics& d) {
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < c.dkim.size(); ++i) {
        const DkimKey& k = c.dkim[i];
        auto line = [&](std::string_view key) {
            toml::node_view<const toml::node> n = root.at_path(fmt::format("dkim[{}].{}", i, key));
            if (!n) n = root.at_path(fmt::format("dkim[{}]", i));
            return n ? n.node()->source().begin.line : 0u;
        };
        if (!mail::is_valid_domain(k.domain)) {
            d.add(line("domain"), fmt::format("[[dkim]] domain \"{}\" is not a domain", k.domain));
        }
        if (k.selector.empty() || !mail::is_valid_domain(k.selector + ".x")) {
            d.add(line("selector"),
                  fmt::format("[[dkim]] selector \"{}\" must be a DNS label", k.selector));
        }
        if (!seen.insert({k.domain, k.selector}).second) {
            d.add(line("selector"),
                  fmt::format("[[dkim]] {} selector {} is given twice", k.domain, k.selector));
        }
        std::optional<dkim::KeyType> want;
        if (!k.type.empty() && !(want = dkim::parse_key_type(k.type))) {
            d.add(line("type"), "[[dkim]] type must be \"rsa\" or \"ed25519\"");
        }
        if (k.key.empty()) {
            d.add(line("key"), "[[dkim]] needs key (a PEM private key file)");
            continue;
        }
        std::string error;
        auto key = dkim::PrivateKey::load(k.key, error);
        if (!key) {
            d.add(line("key"), fmt::format("[[dkim]] key \"{}\" {}", k.key, error));
        } else if (want && key->type() != *want) {
            d.add(line("key"), fmt::format("[[dkim]] key \"{}\" is an {} key, not {}", k.key,
                                           dkim::key_type_name(key->type()), k.type));
        }
    }
}

}  // namespace holdfast::config
