#pragma once
// SASL PLAIN (RFC 4616) and LOGIN payloads, without I/O.
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::auth {

struct Credentials {
    std::string user;
    std::string password;
};

// Decodes a PLAIN response: base64 of authzid NUL authcid NUL passwd. An
// authorization identity other than the user itself is refused (we do not
// let one user act as another).
std::optional<Credentials> decode_plain(std::string_view base64);

// LOGIN sends user name and password as two separate base64 lines.
std::optional<std::string> decode_login_field(std::string_view base64);

}  // namespace holdfast::auth
