#pragma once
// The AUTH user database: a Dovecot-compatible passwd-style file,
//   user:hash[:anything else]
// where hash is a crypt(3) string (yescrypt "$y$", SHA-512-crypt "$6$", ...),
// optionally prefixed with a Dovecot scheme such as {SHA512-CRYPT}.
// Blank lines and lines starting with '#' are ignored.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace holdfast::auth {

class UsersFile {
  public:
    struct LoadError {
        unsigned line;
        std::string message;
    };

    // Parses the text; every malformed line is reported with its number.
    static UsersFile parse(const std::string& text, std::vector<LoadError>& errors);

    // The stored hash for a user (user names match exactly), or nullopt.
    std::optional<std::string> hash_of(const std::string& user) const;
    std::size_t size() const { return hashes_.size(); }

  private:
    std::map<std::string, std::string> hashes_;
};

// crypt(3) check in constant time against the stored hash. Slow on purpose
// (yescrypt): callers run it off the I/O threads.
bool verify_password(const std::string& password, const std::string& hash);

}  // namespace holdfast::auth
