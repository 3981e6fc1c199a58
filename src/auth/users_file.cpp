#include "auth/users_file.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <memory>
#include <sstream>

namespace holdfast::auth {

UsersFile UsersFile::parse(const std::string& text, std::vector<LoadError>& errors) {
    UsersFile f;
    std::istringstream in(text);
    unsigned n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0) {
            errors.push_back({n, "expected user:hash"});
            continue;
        }
        std::string user = line.substr(0, colon);
        std::string hash = line.substr(colon + 1, line.find(':', colon + 1) - colon - 1);
        if (!hash.empty() && hash.front() == '{') {
            auto close = hash.find('}');
            if (close != std::string::npos) hash.erase(0, close + 1);
        }
        if (hash.size() < 3 || hash[0] != '$') {
            errors.push_back(
                {n, "user \"" + user + "\": the hash is not a crypt(3) string ($y$..., $6$...)"});
            continue;
        }
        if (!f.hashes_.emplace(user, hash).second) {
            errors.push_back({n, "user \"" + user + "\" appears twice"});
        }
    }
    return f;
}

std::optional<std::string> UsersFile::hash_of(const std::string& user) const {
    auto it = hashes_.find(user);
    if (it == hashes_.end()) return std::nullopt;
    return it->second;
}

bool verify_password(const std::string& password, const std::string& hash) {
    auto data = std::make_unique<crypt_data>();  // large; not on the stack
    const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
    if (!out || out[0] == '*') return false;
    std::string computed(out);
    return computed.size() == hash.size() &&
           CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

}  // namespace holdfast::auth
