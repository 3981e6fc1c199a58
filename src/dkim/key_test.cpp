#include "dkim/key.hpp"

#include <gtest/gtest.h>

#include "util/base64.hpp"

namespace holdfast::dkim {
namespace {

// RFC 8463 Appendix A.1: the Ed25519 key of the example.
constexpr const char* kRfc8463Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

TEST(Key, Rfc8463PublicKey) {
    std::string error;
    auto k = PrivateKey::from_pem(kRfc8463Pem, error);
    ASSERT_TRUE(k) << error;
    EXPECT_EQ(k->type(), KeyType::ed25519);
    EXPECT_EQ(k->public_key_base64(), "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

TEST(Key, GenerateSignVerifyBothTypes) {
    for (KeyType t : {KeyType::rsa, KeyType::ed25519}) {
        std::string error;
        auto k = PrivateKey::generate(t, error);
        ASSERT_TRUE(k) << error;
        if (t == KeyType::rsa) {
            EXPECT_EQ(k->bits(), 2048u);
        }
        auto again = PrivateKey::from_pem(k->pem(), error);
        ASSERT_TRUE(again) << error;
        EXPECT_EQ(again->public_key_base64(), k->public_key_base64());
        std::string sig = k->sign("data");
        ASSERT_FALSE(sig.empty());
        auto der = util::base64_decode(k->public_key_base64());
        ASSERT_TRUE(der);
        auto pub = PublicKey::from_der(t, *der);
        ASSERT_TRUE(pub);
        EXPECT_TRUE(pub->verify("data", sig));
        EXPECT_FALSE(pub->verify("datA", sig));
        EXPECT_FALSE(
            PublicKey::from_der(t == KeyType::rsa ? KeyType::ed25519 : KeyType::rsa, *der));
    }
}

TEST(Key, RefusesWhatIsNotAKey) {
    std::string error;
    EXPECT_FALSE(PrivateKey::from_pem("", error));
    EXPECT_FALSE(PrivateKey::from_pem(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", error));
    EXPECT_FALSE(PublicKey::from_der(KeyType::rsa, "garbage"));
    EXPECT_FALSE(PublicKey::from_der(KeyType::ed25519, std::string(31, 'x')));
}

TEST(Key, DnsRecordSplitsAt255) {
    std::string error;
    auto k = PrivateKey::generate(KeyType::rsa, error);
    ASSERT_TRUE(k);
    std::string r = dns_record("s1", "example.test", *k);
    EXPECT_EQ(r.rfind("s1._domainkey.example.test. IN TXT \"v=DKIM1; k=rsa; p=MIIB", 0), 0u) << r;
    // "v=DKIM1; k=rsa; p=" + 392 base64 characters: two strings.
    EXPECT_NE(r.find("\" \""), std::string::npos);
    for (std::size_t start = r.find('"'); start != std::string::npos;) {
        std::size_t end = r.find('"', start + 1);
        EXPECT_LE(end - start - 1, 255u);
        start = r.find('"', end + 1);
    }
}

}  // namespace
}  // namespace holdfast::dkim
