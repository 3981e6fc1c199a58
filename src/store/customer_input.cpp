#include "store/customer_input.hpp"

#include "mail/address.hpp"
#include "util/net.hpp"

namespace holdfast::store {

namespace {

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (unsigned char ch : name) {
        if (!std::isalnum(ch) && ch != '.' && ch != '_' && ch != '-') return false;
    }
    return true;
}

}  // namespace

std::optional<Customer> checked_customer(const CustomerInput& in, std::string* why) {
    auto fail = [&](std::string words) {
        if (why) *why = std::move(words);
        return std::nullopt;
    };
    if (!valid_name(in.name)) {
        return fail("\"" + in.name +
                    "\" is not a customer name (1-64 letters, digits, '.', '_' or '-')");
    }
    Customer c;
    c.name = in.name;
    c.notes = in.notes;
    c.scan = in.scan;
    for (const auto& e : in.emails) {
        auto addr = mail::parse_mailbox(e);
        if (!addr || addr->domain.empty()) return fail("\"" + e + "\" is not an email address");
        c.emails.push_back(e);
    }
    for (const auto& d : in.domains) {
        std::string dom = mail::normalize_domain(d);
        if (!mail::is_valid_domain(dom)) return fail("\"" + d + "\" is not a domain name");
        c.domains.push_back(dom);
    }
    for (const auto& n : in.networks) {
        auto net = util::parse_network(n);
        if (!net) return fail("\"" + n + "\" is not a network (CIDR, e.g. 192.0.2.0/24)");
        c.networks.push_back(net->str());
    }
    // As `holdfast customers add` (CONTRACT.md): notices need somewhere to go,
    // and the backup MX something to serve.
    if (c.emails.empty()) return fail("give at least one e-mail address: notices go there");
    if (c.domains.empty()) return fail("give at least one domain");
    return c;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::string item;
    for (char ch : text + ",") {
        if (ch == ',' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            if (!item.empty()) out.push_back(std::move(item));
            item.clear();
        } else {
            item += ch;
        }
    }
    return out;
}

}  // namespace holdfast::store
