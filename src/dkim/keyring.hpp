#pragma once
// The [[dkim]] keys, loaded once (by the app at start and on reload) and
// shared read-only by every session: which keys sign mail from a domain.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dkim/signer.hpp"

namespace holdfast::dkim {

class KeyRing {
  public:
    // Throws std::runtime_error naming the first key that does not load
    // (check-config reports the same with file:line before).
    static std::shared_ptr<const KeyRing> load(const std::vector<config::DkimKey>& keys);
    // The keys for mail whose From: domain is `domain` (lower case), in
    // configuration order: one signature each.
    std::vector<const SigningKey*> for_domain(std::string_view domain) const;
    bool empty() const { return keys_.empty(); }

  private:
    std::vector<SigningKey> keys_;
};

}  // namespace holdfast::dkim
