// [[dkim]] and [checks]: their keys, and check-config's refusals with lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "dkim/key.hpp"

using namespace holdfast::config;

namespace {

const std::string kBase = R"(
[server]
hostname = "mx.example.test"
[[listen]]
address = "127.0.0.1:2525"
)";

std::string joined(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.str() + "\n";
    return out;
}

std::string write_key(holdfast::dkim::KeyType type) {
    std::string error;
    auto key = holdfast::dkim::PrivateKey::generate(type, error);
    std::string path =
        (std::filesystem::temp_directory_path() /
         ("holdfast-key-" + std::to_string(::getpid()) + "-" + holdfast::dkim::key_type_name(type)))
            .string();
    std::ofstream(path) << key->pem();
    return path;
}

}  // namespace

TEST(ConfigMailAuth, ChecksDefaultOffAndParse) {
    auto r = load_string(kBase, "t.toml");
    ASSERT_TRUE(r.config);
    EXPECT_EQ(r.config->checks.spf, SpfAction::off);
    EXPECT_EQ(r.config->checks.dmarc, DmarcAction::off);
    r = load_string(kBase + "[checks]\nspf = \"reject-fail\"\ndmarc = \"enforce\"\n", "t.toml");
    ASSERT_TRUE(r.config) << joined(r);
    EXPECT_EQ(r.config->checks.spf, SpfAction::reject_fail);
    EXPECT_EQ(r.config->checks.dmarc, DmarcAction::enforce);
    r = load_string(kBase + "[checks]\nspf = \"reject\"\ndmarc = \"quarantine\"\n", "t.toml");
    EXPECT_FALSE(r.config);
    EXPECT_NE(joined(r).find("t.toml:7:"), std::string::npos) << joined(r);
    EXPECT_NE(joined(r).find("reject-fail"), std::string::npos);
}

TEST(ConfigMailAuth, DkimKeysAreLoadedAndChecked) {
    const std::string ed = write_key(holdfast::dkim::KeyType::ed25519);
    auto r =
        load_string(kBase + "[[dkim]]\ndomain = \"Example.TEST\"\nselector = \"s1\"\nkey = \"" +
                        ed + "\"\ntype = \"ed25519\"\n",
                    "t.toml");
    ASSERT_TRUE(r.config) << joined(r);
    ASSERT_EQ(r.config->dkim.size(), 1u);
    EXPECT_EQ(r.config->dkim[0].domain, "example.test");
    // Wrong type, missing file, bad selector, twice the same selector.
    r = load_string(kBase + "[[dkim]]\ndomain = \"example.test\"\nselector = \"s1\"\nkey = \"" +
                        ed +
                        "\"\ntype = \"rsa\"\n[[dkim]]\ndomain = \"example.test\"\nselector = "
                        "\"s1\"\nkey = \"/nonexistent/key\"\n[[dkim]]\ndomain = "
                        "\"example.test\"\nselector = \"bad selector\"\nkey = \"" +
                        ed + "\"\n",
                    "t.toml");
    EXPECT_FALSE(r.config);
    const std::string all = joined(r);
    EXPECT_NE(all.find("t.toml:9: [[dkim]] key \"" + ed + "\" is an ed25519 key, not rsa"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("\"/nonexistent/key\" cannot be read"), std::string::npos) << all;
    EXPECT_NE(all.find("given twice"), std::string::npos) << all;
    EXPECT_NE(all.find("must be a DNS label"), std::string::npos) << all;
    std::filesystem::remove(ed);
}
