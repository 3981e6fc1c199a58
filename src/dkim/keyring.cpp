#include "dkim/keyring.hpp"

#include <stdexcept>

namespace holdfast::dkim {

std::shared_ptr<const KeyRing> KeyRing::load(const std::vector<config::DkimKey>& keys) {
    auto ring = std::make_shared<KeyRing>();
    for (const auto& k : keys) {
        std::string error;
        auto key = PrivateKey::load(k.key, error);
        if (!key) {
            throw std::runtime_error("dkim key \"" + k.key + "\" for " + k.domain + " " + error);
        }
        ring->keys_.push_back(SigningKey{k.domain, k.selector, std::move(*key)});
    }
    return ring;
}

std::vector<const SigningKey*> KeyRing::for_domain(std::string_view domain) const {
    std::vector<const SigningKey*> out;
    for (const auto& k : keys_) {
        if (k.domain == domain) out.push_back(&k);
    }
    return out;
}

}  // namespace holdfast::dkim
