#include <crypt.h>
#include <gtest/gtest.h>

#include "auth/sasl.hpp"
#include "auth/users_file.hpp"
#include "util/base64.hpp"

using namespace holdfast;

TEST(Sasl, DecodesPlain) {
    auto c = auth::decode_plain(util::base64_encode(std::string("\0alice\0s3cret", 13)));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->user, "alice");
    EXPECT_EQ(c->password, "s3cret");
    EXPECT_TRUE(auth::decode_plain(util::base64_encode(std::string("alice\0alice\0pw", 14))));
}

TEST(Sasl, RefusesMalformedPlain) {
    for (std::string raw :
         {std::string("alice"), std::string("\0alice", 6), std::string("\0\0pw", 4),
          std::string("bob\0alice\0pw", 12), std::string("\0a\0b\0c", 6)}) {
        EXPECT_FALSE(auth::decode_plain(util::base64_encode(raw))) << testing::PrintToString(raw);
    }
    EXPECT_FALSE(auth::decode_plain("not base64!"));
    EXPECT_FALSE(auth::decode_plain(""));
}

TEST(UsersFile, ParsesAndVerifiesBothHashKinds) {
    // Generated with: mkpasswd -m yescrypt / openssl passwd -6 (password "secret").
    std::string text =
        "# users\n"
        "alice:$6$saltsalt$"
        "TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n"
        "bob:{SHA512-CRYPT}$6$saltsalt$"
        "TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1:"
        "1000:1000::/home/bob\n"
        "\n";
    std::vector<auth::UsersFile::LoadError> errors;
    auto f = auth::UsersFile::parse(text, errors);
    EXPECT_TRUE(errors.empty());
    ASSERT_EQ(f.size(), 2u);
    EXPECT_FALSE(f.hash_of("carol"));
    EXPECT_FALSE(f.hash_of("Alice"));
    std::string hash = *f.hash_of("bob");
    EXPECT_TRUE(auth::verify_password("secret", hash));
    EXPECT_FALSE(auth::verify_password("Secret", hash));
    EXPECT_FALSE(auth::verify_password("", hash));
    EXPECT_FALSE(auth::verify_password("secret", "$6$garbage"));
    EXPECT_FALSE(auth::verify_password("secret", "*"));
}

TEST(UsersFile, YescryptWorks) {
    const char* setting = crypt_gensalt("$y$", 0, nullptr, 0);
    ASSERT_NE(setting, nullptr);
    crypt_data data{};
    std::string hash = crypt_rn("pw", setting, &data, sizeof data);
    EXPECT_TRUE(auth::verify_password("pw", hash));
    EXPECT_FALSE(auth::verify_password("pw2", hash));
}

TEST(UsersFile, ReportsBadLines) {
    std::vector<auth::UsersFile::LoadError> errors;
    auth::UsersFile::parse("alice\n:$6$x$y\ncarol:plaintext\nd:$6$a$b\nd:$6$a$b\n", errors);
    ASSERT_EQ(errors.size(), 4u);
    EXPECT_EQ(errors[0].line, 1u);
    EXPECT_EQ(errors[3].line, 5u);
}
