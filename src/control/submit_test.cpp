#include "control/submit.hpp"

#include <gtest/gtest.h>

#include "queue/test_dir.hpp"

using namespace holdfast;
using namespace holdfast::control;
using queue::testing::TestDir;

namespace {

config::Config test_config() {
    config::Config c;
    c.server.hostname = "mx.example.test";
    config::LocalDomain l;
    l.domain = "example.test";
    l.recipients = {"alice"};
    c.locals.push_back(l);
    config::BackupDomain b;
    b.domain = "customer.test";
    c.backups.push_back(b);
    return c;
}

struct Fixture {
    TestDir dir;
    std::unique_ptr<queue::Spool> spool;
    config::Config config = test_config();
    Submitter who{1000, 4242, "cron-user"};
    Fixture() {
        std::error_code ec;
        spool = queue::Spool::open(dir.path() / "spool", ec);
        EXPECT_FALSE(ec);
    }
};

}  // namespace

TEST(Submit, StoresWithTheSubmitterAndClassifiesRecipients) {
    Fixture f;
    SubmitRequest r;
    r.extract = true;
    r.recipients = {"someone@elsewhere.test"};
    auto resp = submit(*f.spool, f.config, f.who, r,
                       "To: alice@example.test\nBcc: carol@customer.test\nSubject: s\n\nbody\n");
    ASSERT_TRUE(resp.value("ok", false)) << resp.dump();
    auto env = f.spool->get(resp["id"].get<std::string>());
    ASSERT_TRUE(env);
    EXPECT_EQ(env->sender, "cron-user@mx.example.test");  // no -f: the user at our host name
    EXPECT_EQ(env->auth_user, "cron-user");
    EXPECT_NE(env->client.find("uid=1000"), std::string::npos);
    ASSERT_EQ(env->recipients.size(), 3u);
    EXPECT_EQ(env->recipients[0].kind, queue::RecipientKind::relay);  // sendmail may relay
    EXPECT_EQ(env->recipients[1].kind, queue::RecipientKind::local);
    EXPECT_EQ(env->recipients[2].kind, queue::RecipientKind::backup);
    std::string m;
    ASSERT_FALSE(f.spool->read_message(env->id, m));
    EXPECT_EQ(
        m.rfind("Received: by mx.example.test (Holdfast, from userid 1000 (cron-user))\r\n", 0), 0u)
        << m;
    EXPECT_EQ(m.find("Bcc"), std::string::npos);
    EXPECT_NE(m.find("From: cron-user@mx.example.test\r\n"), std::string::npos);
}

TEST(Submit, RefusesBadInputWithoutStoring) {
    Fixture f;
    SubmitRequest r;
    r.recipients = {"nosuch@example.test"};  // a local user that does not exist
    auto resp = submit(*f.spool, f.config, f.who, r, "Subject: s\n\nb\n");
    EXPECT_FALSE(resp.value("ok", true));
    EXPECT_FALSE(resp.value("temporary", true));
    r.recipients = {"not an address"};
    EXPECT_FALSE(submit(*f.spool, f.config, f.who, r, "x\n").value("ok", true));
    r.recipients = {};
    EXPECT_FALSE(submit(*f.spool, f.config, f.who, r, "x\n").value("ok", true));  // none at all
    r.recipients = {"alice@example.test"};
    r.sender_set = true;
    r.sender = "bad sender@";
    EXPECT_FALSE(submit(*f.spool, f.config, f.who, r, "x\n").value("ok", true));
    r.sender = "";  // -f '<>' is fine
    EXPECT_TRUE(submit(*f.spool, f.config, f.who, r, "x\n").value("ok", false));
    f.config.limits.message_size = 10;
    r.sender = "a@example.test";
    EXPECT_FALSE(submit(*f.spool, f.config, f.who, r, "a long message\n").value("ok", true));
    EXPECT_EQ(f.spool->size(), 1u);
}
