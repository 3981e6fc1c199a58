#include "dns/error.hpp"

#include <string>

namespace holdfast::dns {
namespace {

class Category : public std::error_category {
  public:
    const char* name() const noexcept override { return "dns"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
            case Errc::nxdomain:
                return "no such domain (NXDOMAIN)";
            case Errc::no_data:
                return "no record of that type";
            case Errc::server_failure:
                return "server failure (SERVFAIL or unreachable)";
            case Errc::refused:
                return "query refused";
            case Errc::timeout:
                return "timed out";
            case Errc::malformed:
                return "malformed answer";
            case Errc::bad_name:
                return "invalid name";
            case Errc::cancelled:
                return "cancelled";
            case Errc::failure:
                return "resolver failure";
        }
        return "unknown dns error";
    }
};

}  // namespace

const std::error_category& dns_category() {
    static const Category category;
    return category;
}

std::error_code make_error_code(Errc e) {
    return {static_cast<int>(e), dns_category()};
}

bool is_permanent(std::error_code ec) {
    return ec == make_error_code(Errc::nxdomain) || ec == make_error_code(Errc::bad_name);
}

}  // namespace holdfast::dns
