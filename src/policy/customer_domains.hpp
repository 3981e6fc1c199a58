#pragma once
// The domains the backup MX serves because a customer of the watch has them
// (the store's customers, as opposed to [[backup]] in the config). Replaced
// whole when the customers change (`holdfast customers ...` tells the
// daemon); sessions read a snapshot, so a change needs no restart and never
// blocks a session. Thread-safe.
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace holdfast::policy {

struct CustomerDomain {
    std::string customer;
    bool suspended = false;  // the backup MX answers 450 4.7.1 for it
    bool scan = false;       // the customer bought content scanning (src/scan/)
};
using CustomerDomainMap = std::map<std::string, CustomerDomain>;  // by lower-case domain

class CustomerDomains {
  public:
    void replace(CustomerDomainMap domains) {
        auto next = std::make_shared<const CustomerDomainMap>(std::move(domains));
        std::lock_guard lock(mu_);
        map_ = std::move(next);
    }
    std::shared_ptr<const CustomerDomainMap> snapshot() const {
        std::lock_guard lock(mu_);
        return map_;
    }

  private:
    mutable std::mutex mu_;
    std::shared_ptr<const CustomerDomainMap> map_ = std::make_shared<const CustomerDomainMap>();
};

}  // namespace holdfast::policy
