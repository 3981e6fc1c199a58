#include "dkim/key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "util/base64.hpp"

namespace holdfast::dkim {
namespace {

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
    return {k, EVP_PKEY_free};
}

std::optional<KeyType> type_of(EVP_PKEY* k) {
    switch (EVP_PKEY_get_base_id(k)) {
        case EVP_PKEY_RSA:
            return KeyType::rsa;
        case EVP_PKEY_ED25519:
            return KeyType::ed25519;
        default:
            return std::nullopt;
    }
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

const char* key_type_name(KeyType t) {
    return t == KeyType::rsa ? "rsa" : "ed25519";
}
const char* algorithm_name(KeyType t) {
    return t == KeyType::rsa ? "rsa-sha256" : "ed25519-sha256";
}
std::optional<KeyType> parse_key_type(std::string_view name) {
    if (name == "rsa") return KeyType::rsa;
    if (name == "ed25519") return KeyType::ed25519;
    return std::nullopt;
}

std::optional<PrivateKey> PrivateKey::load(const std::filesystem::path& file, std::string& error) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        error = "cannot be read";
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return from_pem(text.str(), error);
}

std::optional<PrivateKey> PrivateKey::from_pem(std::string_view pem, std::string& error) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    EVP_PKEY* k = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!k) {
        error = "is not a PEM private key";
        return std::nullopt;
    }
    auto key = own(k);
    auto type = type_of(k);
    if (!type) {
        error = "is neither an RSA nor an Ed25519 key";
        return std::nullopt;
    }
    if (*type == KeyType::rsa && EVP_PKEY_get_bits(k) < 1024) {
        error = "is an RSA key shorter than 1024 bits (RFC 8301 3.2)";
        return std::nullopt;
    }
    return PrivateKey(std::move(key), *type);
}

std::optional<PrivateKey> PrivateKey::generate(KeyType type, std::string& error) {
    EVP_PKEY* k = type == KeyType::rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!k) {
        error = "key generation failed";
        return std::nullopt;
    }
    return PrivateKey(own(k), type);
}

unsigned PrivateKey::bits() const {
    return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get()));
}

std::string PrivateKey::pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
        return {};
    }
    return bio_text(bio.get());
}

std::string PrivateKey::public_key_base64() const {
    if (type_ == KeyType::ed25519) {
        unsigned char raw[32];
        std::size_t len = sizeof raw;
        if (!EVP_PKEY_get_raw_public_key(key_.get(), raw, &len)) return {};
        return util::base64_encode(std::string_view(reinterpret_cast<char*>(raw), len));
    }
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key_.get(), &der);
    if (len <= 0) return {};
    std::string out = util::base64_encode(
        std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return out;
}

std::string PrivateKey::sign(std::string_view data) const {
    std::string digest = sha256(data);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t len = 0;
    std::string sig;
    if (type_ == KeyType::ed25519) {
        if (EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1) return {};
        const auto* d = reinterpret_cast<const unsigned char*>(digest.data());
        if (EVP_DigestSign(md.get(), nullptr, &len, d, digest.size()) != 1) return {};
        sig.resize(len);
        if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, d,
                           digest.size()) != 1) {
            return {};
        }
    } else {
        if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
            return {};
        }
        const auto* d = reinterpret_cast<const unsigned char*>(data.data());
        if (EVP_DigestSign(md.get(), nullptr, &len, d, data.size()) != 1) return {};
        sig.resize(len);
        if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, d,
                           data.size()) != 1) {
            return {};
        }
    }
    sig.resize(len);
    return sig;
}

std::optional<PublicKey> PublicKey::from_der(KeyType type, std::string_view der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    EVP_PKEY* k = nullptr;
    if (type == KeyType::ed25519) {
        if (der.size() != 32) return std::nullopt;
        k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, der.size());
    } else {
        k = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
        if (!k) {
            p = reinterpret_cast<const unsigned char*>(der.data());
            k = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size()));
        }
        if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
            EVP_PKEY_free(k);
            k = nullptr;
        }
    }
    if (!k) return std::nullopt;
    return PublicKey(own(k), type);
}

unsigned PublicKey::bits() const {
    return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get()));
}

bool PublicKey::verify(std::string_view data, std::string_view signature) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const auto* s = reinterpret_cast<const unsigned char*>(signature.data());
    if (type_ == KeyType::ed25519) {
        std::string digest = sha256(data);
        if (EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
            return false;
        return EVP_DigestVerify(md.get(), s, signature.size(),
                                reinterpret_cast<const unsigned char*>(digest.data()),
                                digest.size()) == 1;
    }
    if (EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
        return false;
    }
    return EVP_DigestVerify(md.get(), s, signature.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::string sha256(std::string_view data) {
    unsigned char out[32];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string dns_record(std::string_view selector, std::string_view domain, const PrivateKey& key) {
    std::string text = "v=DKIM1; k=";
    text += key_type_name(key.type());
    text += "; p=";
    text += key.public_key_base64();
    std::string line;
    line += selector;
    line += "._domainkey.";
    line += domain;
    line += ". IN TXT";
    for (std::size_t i = 0; i < text.size(); i += 255) {
        line += " \"" + text.substr(i, 255) + "\"";
    }
    return line;
}

}  // namespace holdfast::dkim
