#include "delivery/maildir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "queue/test_dir.hpp"

using namespace holdfast::delivery;
using holdfast::queue::testing::TestDir;
namespace fs = std::filesystem;

namespace {
std::vector<fs::path> files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
}
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST(Maildir, WritesExactBytesWithTwoHeadersIntoNew) {
    TestDir dir;
    fs::path md = dir.path() / "mail" / "alice";
    std::string msg = "Received: from x\r\nSubject: hi\r\n\r\nbody \xe2\x82\xac\r\n.\r\n";
    ASSERT_FALSE(deliver_to_maildir(md, msg, "bob@example.org", "alice@example.test"));
    ASSERT_FALSE(deliver_to_maildir(md, msg, "", "alice@example.test"));
    EXPECT_TRUE(fs::is_directory(md / "cur"));
    EXPECT_TRUE(files(md / "tmp").empty());
    auto delivered = files(md / "new");
    ASSERT_EQ(delivered.size(), 2u);
    std::vector<std::string> texts = {slurp(delivered[0]), slurp(delivered[1])};
    std::sort(texts.begin(), texts.end());
    // Stored with LF line endings, as Postfix and Dovecot store Maildir files.
    std::string lf = "Received: from x\nSubject: hi\n\nbody \xe2\x82\xac\n.\n";
    EXPECT_EQ(texts[0], "Return-Path: <>\nDelivered-To: alice@example.test\n" + lf);
    EXPECT_EQ(texts[1], "Return-Path: <bob@example.org>\nDelivered-To: alice@example.test\n" + lf);
    EXPECT_NE(
        delivered[0].filename().string().find(",S=" + std::to_string(slurp(delivered[0]).size())),
        std::string::npos)
        << delivered[0];
    // The name carries the size, as Maildir readers expect.
    std::string name = delivered[0].filename().string();
    EXPECT_NE(name.find(",S="), std::string::npos);
    EXPECT_EQ(name.find('/'), std::string::npos);
}

TEST(Maildir, ReportsErrorsInsteadOfThrowing) {
    TestDir dir;
    std::ofstream(dir.path() / "file") << "x";
    EXPECT_TRUE(deliver_to_maildir(dir.path() / "file" / "md", "m", "", "a@b"));
}

TEST(Maildir, ExpandsTemplateSafely) {
    EXPECT_EQ(expand_maildir("var/mail/%d/%u", "Alice", "Example.TEST"),
              fs::path("var/mail/example.test/alice"));
    EXPECT_EQ(expand_maildir("/srv/%u/Maildir/%%", "bob", "x.test"),
              fs::path("/srv/bob/Maildir/%"));
    EXPECT_TRUE(expand_maildir("m/%u", "..", "x.test").empty());
    EXPECT_TRUE(expand_maildir("m/%u", "a/../../b", "x.test").empty());
    EXPECT_TRUE(expand_maildir("m/%u", "", "x.test").empty());
    EXPECT_TRUE(expand_maildir("m/%d", "a", "..").empty());
}

TEST(Maildir, SymlinkedComponentIsRefusedAndNothingIsWrittenThere) {
    TestDir dir;
    fs::path md = dir.path() / "mail" / "alice";
    ASSERT_FALSE(deliver_to_maildir(md, "a\r\n", "", "alice@example.test"));
    fs::path outside = dir.path() / "outside";
    fs::create_directories(outside);
    // alice/new replaced by a link to somewhere else.
    fs::remove_all(md / "new");
    fs::create_directory_symlink(outside, md / "new");
    auto ec = deliver_to_maildir(md, "b\r\n", "", "alice@example.test");
    EXPECT_EQ(ec, MaildirErrc::symlink) << ec.message();
    // A link higher up the path, too.
    fs::path link = dir.path() / "linked";
    fs::create_directory_symlink(dir.path() / "mail", link);
    ec = deliver_to_maildir(link / "bob", "c\r\n", "", "bob@example.test");
    EXPECT_EQ(ec, MaildirErrc::symlink) << ec.message();
    EXPECT_TRUE(files(outside).empty());
    EXPECT_FALSE(fs::exists(dir.path() / "mail" / "bob"));
    EXPECT_TRUE(files(md / "tmp").empty());
}

TEST(Maildir, FilesAndNewDirectoriesGetTheConfiguredMode) {
    TestDir dir;
    mode_t old = ::umask(022);
    MaildirOwner group_readable;
    group_readable.mode = 0660;
    fs::path md = dir.path() / "shared" / "alice";
    auto ec = deliver_to_maildir(md, "a\r\n", "", "alice@example.test", {}, group_readable);
    ::umask(old);
    ASSERT_FALSE(ec) << ec.message();
    auto delivered = files(md / "new");
    ASSERT_EQ(delivered.size(), 1u);
    struct stat st {};
    ASSERT_EQ(::stat(delivered[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    ASSERT_EQ(::stat(md.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0770u);
    ASSERT_EQ(::stat((md / "new").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0770u);

    fs::path md2 = dir.path() / "private" / "bob";
    ASSERT_FALSE(deliver_to_maildir(md2, "a\r\n", "", "bob@example.test"));
    delivered = files(md2 / "new");
    ASSERT_EQ(delivered.size(), 1u);
    ASSERT_EQ(::stat(delivered[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Maildir, WritesAsTheConfiguredOwner) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
    TestDir dir;
    const uid_t nobody = 65534;
    const gid_t nogroup = 65534;
    fs::path base = dir.path() / "vmail";
    fs::create_directories(base);
    ASSERT_EQ(::chown(base.c_str(), nobody, nogroup), 0);
    ::chmod(dir.path().c_str(), 0755);
    MaildirOwner owner{nobody, nogroup, 0600};
    auto ec = deliver_to_maildir(base / "alice", "a\r\n", "", "alice@example.test", {}, owner);
    ASSERT_FALSE(ec) << ec.message();
    auto delivered = files(base / "alice" / "new");
    ASSERT_EQ(delivered.size(), 1u);
    struct stat st {};
    ASSERT_EQ(::stat(delivered[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, nobody);
    EXPECT_EQ(st.st_gid, nogroup);
    ASSERT_EQ(::stat((base / "alice").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, nobody);
    // Acting as the owner, root's privileges are gone: a directory the owner
    // cannot write is an error, not a root-owned file.
    fs::path rootdir = dir.path() / "rootonly";
    fs::create_directories(rootdir);
    ::chmod(rootdir.c_str(), 0755);
    EXPECT_TRUE(deliver_to_maildir(rootdir / "bob", "b\r\n", "", "bob@example.test", {}, owner));
    // A source that reads what only root may read (the spool) still works.
    fs::path secret = dir.path() / "spool";
    fs::create_directories(secret);
    ::chmod(secret.c_str(), 0700);
    std::ofstream(secret / "body") << "from the spool\r\n";
    ::chmod((secret / "body").c_str(), 0600);
    bool read = false;
    MessageSource source = [&](std::string& chunk) -> std::error_code {
        chunk = read ? "" : slurp(secret / "body");
        read = true;
        return chunk.empty() && !read ? std::make_error_code(std::errc::permission_denied)
                                      : std::error_code();
    };
    ASSERT_FALSE(deliver_to_maildir(base / "dave", source, "", "dave@x.test", {}, owner));
    auto dave = files(base / "dave" / "new");
    ASSERT_EQ(dave.size(), 1u);
    EXPECT_NE(slurp(dave[0]).find("from the spool\n"), std::string::npos);
    // The thread is root again afterwards.
    ASSERT_FALSE(deliver_to_maildir(dir.path() / "root" / "carol", "c\r\n", "", "c@x.test"));
    ASSERT_EQ(::stat((dir.path() / "root" / "carol").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
}

TEST(Maildir, MessageReadPieceByPieceIsTheSameFile) {
    TestDir dir;
    std::string msg = "Subject: pieces\r\n\r\n";
    for (int i = 0; i < 20000; ++i) msg += "line " + std::to_string(i) + " \rx\r\n";
    // Pieces of awkward sizes, so that CR and LF of one line end fall apart.
    std::size_t at = 0;
    MessageSource source = [&](std::string& chunk) -> std::error_code {
        std::size_t n = std::min<std::size_t>(msg.size() - at, 1 + (at % 7919));
        chunk = msg.substr(at, n);
        at += n;
        return {};
    };
    ASSERT_FALSE(deliver_to_maildir(dir.path() / "a", source, "", "a@x.test", "key1"));
    ASSERT_FALSE(deliver_to_maildir(dir.path() / "b", msg, "", "a@x.test", "key1"));
    auto a = files(dir.path() / "a" / "new"), b = files(dir.path() / "b" / "new");
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(a[0].filename(), b[0].filename());  // the same size in the name
    EXPECT_EQ(slurp(a[0]), slurp(b[0]));
    EXPECT_NE(slurp(a[0]).find("line 7 \rx\nline 8"), std::string::npos);  // a bare CR stays
}
