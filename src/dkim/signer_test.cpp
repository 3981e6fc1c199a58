#include "dkim/signer.hpp"

#include <gtest/gtest.h>

#include "dkim/tag_list.hpp"
#include "util/base64.hpp"

namespace holdfast::dkim {
namespace {

// RFC 8463 Appendix A: the signed example message.
constexpr std::string_view kSignature =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=";
constexpr std::string_view kB =
    "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
constexpr std::string_view kMessage =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";
constexpr const char* kRfc8463Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

MessageHasher& hashed(MessageHasher& h, std::string_view msg, std::size_t piece) {
    for (std::size_t i = 0; i < msg.size(); i += piece) h.feed(msg.substr(i, piece));
    h.finish();
    return h;
}

TEST(Signer, Rfc8463BodyHashAndSignature) {
    for (std::size_t piece : {1u, 7u, 4096u}) {
        MessageHasher h;
        hashed(h, kMessage, piece);
        EXPECT_EQ(h.body_hash(), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
        std::vector<std::string> names = {"from",       "to",   "subject", "date",
                                          "message-id", "from", "subject", "date"};
        std::string input = header_hash_input(h.headers(), names, kSignature);
        std::string error;
        auto key = PrivateKey::from_pem(kRfc8463Pem, error);
        ASSERT_TRUE(key) << error;
        // Ed25519 is deterministic: the RFC's own b= comes out.
        EXPECT_EQ(util::base64_encode(key->sign(input)), kB);
    }
}

// Signs, then checks the result the way a verifier does.
void sign_and_check(KeyType type) {
    std::string error;
    auto pk = PrivateKey::generate(type, error);
    ASSERT_TRUE(pk) << error;
    SigningKey key{"football.example.com", "s1", *pk};
    std::string msg = "Received: from x\r\n" + std::string(kMessage);
    MessageHasher h;
    hashed(h, msg, 5);
    EXPECT_EQ(from_domain(h.headers()), "football.example.com");
    std::string field = sign(h, key, std::chrono::system_clock::from_time_t(1700000000));
    ASSERT_FALSE(field.empty());
    ASSERT_EQ(field.substr(field.size() - 2), "\r\n");
    auto tags = TagList::parse(field.substr(field.find(':') + 1));
    ASSERT_TRUE(tags);
    EXPECT_EQ(*tags->find("a"), algorithm_name(type));
    EXPECT_EQ(*tags->find("t"), "1700000000");
    EXPECT_EQ(*tags->find("h"), "from:from:to:subject:date:message-id");
    EXPECT_EQ(*tags->find("bh"), h.body_hash());
    std::string b = strip_fws(*tags->find("b"));
    std::string unsigned_field = field.substr(0, field.find("b=", field.find("bh=") + 3) + 2);
    std::vector<std::string> names = {"from", "from", "to", "subject", "date", "message-id"};
    auto der = util::base64_decode(pk->public_key_base64());
    auto pub = PublicKey::from_der(type, *der);
    ASSERT_TRUE(pub);
    auto sig = util::base64_decode(b);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(pub->verify(header_hash_input(h.headers(), names, unsigned_field), *sig));
}

TEST(Signer, RsaSignatureVerifies) {
    sign_and_check(KeyType::rsa);
}
TEST(Signer, Ed25519SignatureVerifies) {
    sign_and_check(KeyType::ed25519);
}

TEST(Signer, FromDomain) {
    auto domain = [](std::string_view msg) {
        MessageHasher h;
        h.feed(msg);
        h.finish();
        return from_domain(h.headers());
    };
    EXPECT_EQ(domain("From: \"A, B\" <a@Ex.TEST>\r\n\r\n"), "ex.test");
    EXPECT_EQ(domain("From: a@ex.test (Alice)\r\n\r\n"), "ex.test");
    EXPECT_EQ(domain("From: nobody\r\n\r\n"), "");
    EXPECT_EQ(domain("To: a@b.test\r\n\r\n"), "");
}

}  // namespace
}  // namespace holdfast::dkim
