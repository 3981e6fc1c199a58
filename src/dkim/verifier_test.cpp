#include "dkim/verifier.hpp"

#include <gtest/gtest.h>

#include "dkim/canon.hpp"
#include "dkim/signer.hpp"

namespace holdfast::dkim {
namespace {

// RFC 8463 Appendix A: the Ed25519-signed example, and its key record.
constexpr std::string_view kSigned =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
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
constexpr const char* kKey = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const auto kNow = std::chrono::system_clock::from_time_t(1700000000);

SignatureResult check(std::string_view msg, std::optional<std::string> key = kKey,
                      bool temporary = false, std::size_t piece = 3) {
    MessageVerifier v;
    for (std::size_t i = 0; i < msg.size(); i += piece) v.feed(msg.substr(i, piece));
    v.finish();
    EXPECT_EQ(v.signatures(), 1u);
    if (v.signatures() != 1) return {};
    EXPECT_EQ(v.key_name(0), "brisbane._domainkey.football.example.com");
    return v.verify(0, key, temporary, kNow);
}

TEST(Verifier, Rfc8463ExamplePasses) {
    auto r = check(kSigned);
    EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
    EXPECT_EQ(r.domain, "football.example.com");
    EXPECT_EQ(r.algorithm, "ed25519-sha256");
}

TEST(Verifier, ChangesFail) {
    std::string body(kSigned);
    body.replace(body.find("Joe."), 4, "Jim.");
    EXPECT_EQ(check(body).verdict, Verdict::fail);
    std::string head(kSigned);
    head.replace(head.find("dinner"), 6, "lunch!");
    EXPECT_EQ(check(head).verdict, Verdict::fail);
    // Whitespace changes relaxed canonicalisation forgives.
    std::string ws(kSigned);
    ws.replace(ws.find("the game."), 9, "the   game.");
    EXPECT_EQ(check(ws).verdict, Verdict::pass);
}

TEST(Verifier, KeyProblems) {
    EXPECT_EQ(check(kSigned, std::nullopt).verdict, Verdict::permerror);
    EXPECT_EQ(check(kSigned, std::nullopt, true).verdict, Verdict::temperror);
    EXPECT_EQ(check(kSigned, std::string("v=DKIM1; k=ed25519; p=")).verdict, Verdict::permerror);
    EXPECT_EQ(check(kSigned,
                    std::string("v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="))
                  .verdict,
              Verdict::permerror);
    EXPECT_EQ(check(kSigned, std::string("garbage;;")).verdict, Verdict::permerror);
}

TEST(Verifier, MalformedSignatures) {
    const std::string rest(kSigned.substr(kSigned.find("From:")));
    for (const char* sig :
         {"DKIM-Signature: v=1; a=rsa-sha1; d=x; s=y; h=from; bh=AA==; b=AA==\r\n",
          "DKIM-Signature: v=2; a=rsa-sha256; d=x; s=y; h=from; bh=AA==; b=AA==\r\n",
          "DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=to; bh=AA==; b=AA==\r\n",
          "DKIM-Signature: v=1; a=rsa-sha256; d=x; s=y; h=from\r\n", "DKIM-Signature: garbage\r\n",
          "DKIM-Signature:\r\n"}) {
        MessageVerifier v;
        v.feed(sig + rest);
        v.finish();
        ASSERT_EQ(v.signatures(), 1u);
        EXPECT_EQ(v.key_name(0), "");
        EXPECT_EQ(v.verify(0, kKey, false, kNow).verdict, Verdict::permerror) << sig;
    }
}

TEST(Verifier, OurOwnSignaturesVerify) {
    for (KeyType t : {KeyType::rsa, KeyType::ed25519}) {
        std::string error;
        auto pk = PrivateKey::generate(t, error);
        ASSERT_TRUE(pk);
        const std::string msg(kSigned.substr(kSigned.find("From:")));
        MessageHasher h;
        h.feed(msg);
        h.finish();
        std::string field = sign(h, SigningKey{"football.example.com", "s1", *pk}, kNow);
        MessageVerifier v;
        v.feed(field + msg);
        v.finish();
        ASSERT_EQ(v.signatures(), 1u);
        std::string record =
            std::string("v=DKIM1; k=") + key_type_name(t) + "; p=" + pk->public_key_base64();
        auto r = v.verify(0, record, false, kNow);
        EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
    }
}

TEST(Verifier, SimpleBody) {
    std::string out;
    SimpleBody b([&](std::string_view s) { out += s; });
    b.feed("a \r\n\r\nb\r\n\r\n\r\n");
    b.finish();
    EXPECT_EQ(out, "a \r\n\r\nb\r\n");
    out.clear();
    SimpleBody e([&](std::string_view s) { out += s; });
    e.finish();
    EXPECT_EQ(out, "\r\n");
}

}  // namespace
}  // namespace holdfast::dkim
