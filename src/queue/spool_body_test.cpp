// Body files: large messages whose bytes live in body/<ID>, not in the log.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <future>

#include "mail/queue_id.hpp"
#include "queue/spool.hpp"
#include "queue/test_dir.hpp"

using namespace holdfast::queue;
using holdfast::queue::testing::TestDir;
namespace fs = std::filesystem;

namespace {

Envelope envelope() {
    Envelope e;
    e.id = holdfast::mail::new_queue_id();
    e.sender = "bob@example.org";
    e.recipients.push_back({"alice@example.test", RecipientKind::local, {}, {}, {}, {}});
    e.arrival = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    return e;
}

std::unique_ptr<Spool> open_ok(const fs::path& dir) {
    std::error_code ec;
    auto s = Spool::open(dir, ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
}

// Streams `bytes` to a body file in chunks, stores it, waits for the 250.
std::error_code store_body(Spool& s, const Envelope& env, const std::string& bytes) {
    std::error_code ec;
    auto body = s.create_body(env.id, ec);
    if (ec) return ec;
    for (std::size_t off = 0; off < bytes.size(); off += 16384) {
        if ((ec = body->write(std::string_view(bytes).substr(off, 16384)))) return ec;
    }
    std::promise<std::error_code> p;
    s.store(env, std::move(body), [&](std::error_code e) { p.set_value(e); });
    return p.get_future().get();
}

std::size_t count(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

std::uint64_t log_size(const fs::path& dir) {
    std::uint64_t n = 0;
    for (const auto& f : fs::directory_iterator(dir / "log")) n += fs::file_size(f.path());
    return n;
}

}  // namespace

TEST(SpoolBody, StoredMessageIsReadBackAndSurvivesReopen) {
    TestDir dir;
    Envelope e = envelope();
    std::string bytes;
    for (int i = 0; bytes.size() < 3 * 1024 * 1024; ++i)
        bytes += "line " + std::to_string(i) + "\r\n";
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_body(*s, e, bytes));
        auto got = s->get(e.id);
        ASSERT_TRUE(got);
        EXPECT_TRUE(got->body_file);
        EXPECT_EQ(got->size, bytes.size());
        std::string out;
        ASSERT_FALSE(s->read_message(e.id, out));
        EXPECT_EQ(out, bytes);
        // The log holds the envelope only.
        EXPECT_LT(log_size(dir.path()), 4096u);
    }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().loaded, 1u);
    std::string out;
    ASSERT_FALSE(s->read_message(e.id, out));
    EXPECT_EQ(out, bytes);
}

TEST(SpoolBody, FileIsRemovedWithTheMessage) {
    TestDir dir;
    Envelope a = envelope(), b = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_body(*s, a, "a\r\n"));
        ASSERT_FALSE(store_body(*s, b, "b\r\n"));
        EXPECT_EQ(count(dir.path() / "body"), 2u);
        ASSERT_FALSE(s->modify_recipients(
            a.id, [](auto& r, auto&) { r[0].state = RecipientState::delivered; }));
        ASSERT_FALSE(s->remove(b.id));
    }  // the writer finishes its queue: both D records durable, both files gone
    EXPECT_EQ(count(dir.path() / "body"), 0u);
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().loaded, 0u);
    EXPECT_EQ(s->recovery().corrupt, 0u);
}

TEST(SpoolBody, UnstoredAndOrphanedFilesAreRemoved) {
    TestDir dir;
    {
        auto s = open_ok(dir.path());
        std::error_code ec;
        auto body = s->create_body(holdfast::mail::new_queue_id(), ec);
        ASSERT_FALSE(ec);
        body->write("refused\r\n");
        EXPECT_EQ(count(dir.path() / "body"), 1u);
        body.reset();  // the session refused it or the client left
        EXPECT_EQ(count(dir.path() / "body"), 0u);
        EXPECT_TRUE(s->create_body("../x", ec) == nullptr);
        EXPECT_TRUE(ec);
    }
    // A crash while a session was writing leaves a file no record names.
    std::ofstream(dir.path() / "body" / holdfast::mail::new_queue_id()) << "partial";
    auto s = open_ok(dir.path());
    EXPECT_EQ(count(dir.path() / "body"), 0u);
}

TEST(SpoolBody, MissingFileOfAQueuedMessageIsReportedNotFatal) {
    TestDir dir;
    Envelope a = envelope(), b = envelope();
    {
        auto s = open_ok(dir.path());
        ASSERT_FALSE(store_body(*s, a, "a\r\n"));
        ASSERT_FALSE(store_body(*s, b, "bb\r\n"));
    }
    fs::remove(dir.path() / "body" / a.id);
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().loaded, 1u);
    EXPECT_EQ(s->recovery().corrupt, 1u);
    EXPECT_FALSE(s->get(a.id));
    EXPECT_TRUE(s->get(b.id));
}

TEST(SpoolBody, DirectoriesAreCreatedPrivate) {
    TestDir dir;
    auto s = open_ok(dir.path() / "new" / "spool");
    for (const char* sub : {"", "log", "corrupt", "body"}) {
        struct stat st {};
        ASSERT_EQ(::stat((dir.path() / "new" / "spool" / sub).c_str(), &st), 0) << sub;
        EXPECT_EQ(st.st_mode & 0777, 0700u) << sub;
    }
}

TEST(SpoolBody, MessagesAreReadPieceByPiece) {
    TestDir dir;
    auto s = open_ok(dir.path());
    Envelope big = envelope(), small = envelope();
    std::string bytes(300000, 'b');
    for (std::size_t i = 0; i < bytes.size(); i += 7) bytes[i] = static_cast<char>('0' + i % 10);
    ASSERT_FALSE(store_body(*s, big, bytes));
    std::promise<std::error_code> p;
    s->store(small, "0123456789", [&](std::error_code e) { p.set_value(e); });
    ASSERT_FALSE(p.get_future().get());
    for (const auto& [id, want] :
         {std::pair{big.id, bytes}, std::pair{small.id, std::string("0123456789")}}) {
        std::string got, part;
        for (std::uint64_t off = 0;; off += part.size()) {
            ASSERT_FALSE(s->read_message(id, off, 4096, part));
            if (part.empty()) break;
            got += part;
        }
        EXPECT_EQ(got, want);
    }
    std::string part;
    ASSERT_FALSE(s->read_message(small.id, 3, 4, part));
    EXPECT_EQ(part, "3456");
    ASSERT_FALSE(s->remove(big.id));
    EXPECT_EQ(s->read_message(big.id, 0, 10, part), Errc::no_such_message);
}

// A header made at the end of data (a DKIM-Signature) goes into the M
// record before the file's bytes: read back whole, in pieces, after reopen.
TEST(SpoolBody, PrependedOctetsComeFirst) {
    TestDir dir;
    Envelope e = envelope();
    const std::string head = "DKIM-Signature: v=1; b=x\r\n";
    std::string bytes;
    for (int i = 0; bytes.size() < 200 * 1024; ++i) bytes += "line " + std::to_string(i) + "\r\n";
    const std::string whole = head + bytes;
    auto check = [&](Spool& s) {
        auto got = s.get(e.id);
        ASSERT_TRUE(got);
        EXPECT_EQ(got->size, whole.size());
        std::string out;
        ASSERT_FALSE(s.read_message(e.id, out));
        EXPECT_EQ(out, whole);
        std::string pieces;
        for (std::uint64_t off = 0; off < whole.size(); off += 7) {
            ASSERT_FALSE(s.read_message(e.id, off, 7, out));
            pieces += out;
        }
        EXPECT_EQ(pieces, whole);
    };
    {
        auto s = open_ok(dir.path());
        std::error_code ec;
        auto body = s->create_body(e.id, ec);
        ASSERT_FALSE(ec);
        ASSERT_FALSE(body->write(bytes));
        body->prepend(head);
        std::promise<std::error_code> p;
        s->store(e, std::move(body), [&](std::error_code err) { p.set_value(err); });
        ASSERT_FALSE(p.get_future().get());
        check(*s);
    }
    auto s = open_ok(dir.path());
    EXPECT_EQ(s->recovery().corrupt, 0u);
    check(*s);
}

// Content scanning reads a body file back in pieces and replaces its head
// (added headers) without reading the rest into memory; what is stored is
// the edited message.
TEST(SpoolBody, ReadBackAndReplaceHead) {
    TestDir dir;
    auto s = open_ok(dir.path());
    Envelope env = envelope();
    std::error_code ec;
    auto body = s->create_body(env.id, ec);
    ASSERT_FALSE(ec);
    std::string msg = "Received: x\r\nSubject: hi\r\n\r\n" + std::string(300000, 'b') + "\r\n";
    ASSERT_FALSE(body->write(msg));
    std::string piece;
    ASSERT_FALSE(body->read(13, 13, piece));
    EXPECT_EQ(piece, "Subject: hi\r\n");
    ASSERT_FALSE(body->read(msg.size() - 2, 100, piece));
    EXPECT_EQ(piece, "\r\n");
    ASSERT_FALSE(body->read(msg.size(), 100, piece));
    EXPECT_EQ(piece, "");

    const std::string head = "X-Spam-Score: 7.00\r\nReceived: x\r\nSubject: [SPAM] hi\r\n";
    ASSERT_FALSE(body->replace_head(26, head));
    std::string want = head + msg.substr(26);
    EXPECT_EQ(body->size(), want.size());
    ASSERT_FALSE(body->write("tail"));  // appends after the edit
    want += "tail";
    EXPECT_EQ(count(dir.path() / "body"), 1u);              // no .edit file left
    EXPECT_TRUE(body->replace_head(want.size() + 1, "x"));  // past the end: refused
    std::promise<std::error_code> p;
    s->store(env, std::move(body), [&](std::error_code e) { p.set_value(e); });
    ASSERT_FALSE(p.get_future().get());
    std::string out;
    ASSERT_FALSE(s->read_message(env.id, out));
    EXPECT_EQ(out, want);
}
