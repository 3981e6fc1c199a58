#pragma once
// A customer as an operator typed it (the CLI's options, the admin page's
// form, the admin API's JSON), checked and normalised before it reaches
// the store: one set of rules for every way in.
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace holdfast::store {

struct CustomerInput {
    std::string name;
    std::vector<std::string> emails, domains, networks;
    std::string notes;
    bool scan = false;
};

// The customer, with domains in lower case and networks in canonical CIDR
// form; nullopt and *why ("\"x\" is not a domain name") when a field is
// wrong. Names are 1-64 characters of letters, digits, '.', '_' and '-';
// at least one e-mail address and one domain are needed.
std::optional<Customer> checked_customer(const CustomerInput& in, std::string* why);

// "a, b\nc" -> {"a", "b", "c"}: a form's text field holding a list.
std::vector<std::string> split_list(const std::string& text);

}  // namespace holdfast::store
