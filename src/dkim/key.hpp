#pragma once
// DKIM keys over OpenSSL (crypto only): RSA (RFC 6376, rsa-sha256) and
// Ed25519 (RFC 8463, ed25519-sha256). Loading, generating, signing,
// verifying, and the p= text of the DNS key record.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace holdfast::dkim {

enum class KeyType { rsa, ed25519 };
const char* key_type_name(KeyType t);   // "rsa", "ed25519" (the k= values)
const char* algorithm_name(KeyType t);  // "rsa-sha256", "ed25519-sha256" (the a= values)
std::optional<KeyType> parse_key_type(std::string_view name);  // "rsa" | "ed25519"

class PrivateKey {
  public:
    // A PEM private key file (PKCS#8 or traditional RSA); error says why not.
    static std::optional<PrivateKey> load(const std::filesystem::path& file, std::string& error);
    static std::optional<PrivateKey> from_pem(std::string_view pem, std::string& error);
    // RSA keys are 2048 bits.
    static std::optional<PrivateKey> generate(KeyType type, std::string& error);

    KeyType type() const { return type_; }
    unsigned bits() const;
    std::string pem() const;                // PKCS#8 PEM
    std::string public_key_base64() const;  // the key record's p= value
    // The b= signature of the header hash input `data` (RFC 6376 3.7): RSA
    // signs SHA-256(data) with PKCS#1 v1.5; Ed25519 signs the SHA-256 digest
    // itself (RFC 8463 3). Empty on failure.
    std::string sign(std::string_view data) const;

  private:
    PrivateKey(std::shared_ptr<evp_pkey_st> key, KeyType type)
        : key_(std::move(key)), type_(type) {}
    std::shared_ptr<evp_pkey_st> key_;
    KeyType type_;
};

class PublicKey {
  public:
    // From a key record's p= (base64 already decoded): for RSA a
    // SubjectPublicKeyInfo or a bare RSAPublicKey, for Ed25519 the 32 octets.
    static std::optional<PublicKey> from_der(KeyType type, std::string_view der);
    bool verify(std::string_view data, std::string_view signature) const;
    unsigned bits() const;
    KeyType type() const { return type_; }

  private:
    PublicKey(std::shared_ptr<evp_pkey_st> key, KeyType type) : key_(std::move(key)), type_(type) {}
    std::shared_ptr<evp_pkey_st> key_;
    KeyType type_;
};

// SHA-256 of bytes (binary digest, 32 octets).
std::string sha256(std::string_view data);

// The DNS TXT record publishing `key`, as a zone-file line:
// `s1._domainkey.example.test. IN TXT "v=DKIM1; k=rsa; p=..." "..."`,
// the text split into character-strings of at most 255 octets.
std::string dns_record(std::string_view selector, std::string_view domain, const PrivateKey& key);

}  // namespace holdfast::dkim
