#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <future>

#include "control/client.hpp"
#include "control/protocol.hpp"
#include "control/server.hpp"
#include "mail/queue_id.hpp"
#include "queue/test_dir.hpp"
#include "util/base64.hpp"

using namespace holdfast;
using namespace holdfast::control;
using queue::testing::TestDir;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<queue::Spool> open_spool(const fs::path& dir) {
    std::error_code ec;
    auto s = queue::Spool::open(dir, ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
}

std::string store(queue::Spool& s, const std::string& body) {
    queue::Envelope e;
    e.id = mail::new_queue_id();
    e.sender = "bob@example.org";
    e.recipients = {
        {"alice@example.test", queue::RecipientKind::local, {}, "451 try later", {}, {}},
        {"done@example.test",
         queue::RecipientKind::local,
         queue::RecipientState::delivered,
         "",
         {},
         {}}};
    e.arrival = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    std::promise<std::error_code> p;
    s.store(e, body, [&](std::error_code ec) { p.set_value(ec); });
    EXPECT_FALSE(p.get_future().get());
    return e.id;
}

}  // namespace

TEST(ControlProtocol, Rfc3339IsUtc) {
    EXPECT_EQ(rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))),
              "2023-11-14T22:13:20Z");
}

TEST(ControlProtocol, HandlesListShowDeleteAndBadRequests) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    std::string id = store(*spool, "Subject: x\r\n\r\n\xff binary\r\n");
    json list = handle_request(*spool, {{"cmd", "list"}});
    ASSERT_TRUE(list["ok"].get<bool>());
    ASSERT_EQ(list["messages"].size(), 1u);
    const json& m = list["messages"][0];
    EXPECT_EQ(m["id"], id);
    EXPECT_EQ(m["sender"], "bob@example.org");
    EXPECT_EQ(m["recipients"], json::array({"alice@example.test"}));  // only what is pending
    EXPECT_EQ(m["size"], 24);
    EXPECT_EQ(m["arrival"], "2023-11-14T22:13:20Z");
    EXPECT_EQ(m["next_attempt"], "2023-11-14T22:13:20Z");
    EXPECT_EQ(m["last_error"], "451 try later");
    EXPECT_EQ(m["recipient_details"].size(), 2u);

    json show = handle_request(*spool, {{"cmd", "show"}, {"id", id}});
    ASSERT_TRUE(show["ok"].get<bool>());
    EXPECT_EQ(util::base64_decode(show["data_base64"].get<std::string>()),
              "Subject: x\r\n\r\n\xff binary\r\n");

    EXPECT_TRUE(handle_request(*spool, {{"cmd", "delete"}, {"id", id}})["ok"].get<bool>());
    json again = handle_request(*spool, {{"cmd", "delete"}, {"id", id}});
    EXPECT_FALSE(again["ok"].get<bool>());
    EXPECT_TRUE(again["not_found"].get<bool>());
    EXPECT_FALSE(handle_request(*spool, {{"cmd", "show"}})["ok"].get<bool>());
    EXPECT_FALSE(handle_request(*spool, {{"cmd", "frobnicate"}, {"id", "x"}})["ok"].get<bool>());
    EXPECT_FALSE(handle_request(*spool, json::array())["ok"].get<bool>());
}

TEST(ControlServer, ServesTheCliAndFallsBackWithoutDaemon) {
    TestDir dir;
    fs::path spool_dir = dir.path() / "spool";
    auto spool = open_spool(spool_dir);
    std::string id = store(*spool, "m\r\n");
    {
        ControlServer server(*spool);
        ASSERT_FALSE(server.start());
        struct stat st {};
        ASSERT_EQ(::stat(server.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        // A second daemon on the same socket is refused.
        ControlServer second(*spool);
        EXPECT_EQ(second.start(), std::errc::address_in_use);

        std::vector<json> responses;
        ASSERT_FALSE(run_requests(
            spool_dir,
            {{{"cmd", "list"}}, {{"cmd", "delete"}, {"id", id}}, {{"cmd", "show"}, {"id", id}}},
            responses));
        ASSERT_EQ(responses.size(), 3u);
        EXPECT_EQ(responses[0]["messages"].size(), 1u);
        EXPECT_TRUE(responses[1]["ok"].get<bool>());
        EXPECT_TRUE(responses[2]["not_found"].get<bool>());
        EXPECT_FALSE(spool->get(id));
        // Garbage on the socket gets an error response, and the server lives on.
        json r;
        ASSERT_FALSE(call_daemon(server.path(), "not an object", r));
        EXPECT_FALSE(r["ok"].get<bool>());
    }
    EXPECT_FALSE(fs::exists(spool_dir / "control.sock"));
    json r;
    EXPECT_TRUE(no_daemon(call_daemon(spool_dir / "control.sock", {{"cmd", "list"}}, r)));
    // No daemon answers, but this process holds the spool: refuse to touch it.
    std::vector<json> responses;
    EXPECT_EQ(run_requests(spool_dir, {{{"cmd", "list"}}}, responses), queue::Errc::spool_locked);
    spool.reset();
    ASSERT_FALSE(run_requests(spool_dir, {{{"cmd", "list"}}}, responses));
    EXPECT_TRUE(responses[0]["messages"].empty());
}

TEST(ControlServer, ReplacesAStaleSocketFile) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    // What a kill -9 leaves behind: a socket file nobody listens on.
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = (dir.path() / "control.sock").string();
    path.copy(addr.sun_path, path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
    ControlServer server(*spool);
    EXPECT_FALSE(server.start());
    json r;
    ASSERT_FALSE(call_daemon(server.path(), {{"cmd", "list"}}, r));
    EXPECT_TRUE(r["ok"].get<bool>());
}

TEST(ControlClient, MissingSpoolIsAnEmptyQueueAndStaysMissing) {
    TestDir dir;
    std::vector<json> responses;
    ASSERT_FALSE(run_requests(dir.path() / "none",
                              {{{"cmd", "list"}}, {{"cmd", "show"}, {"id", "X"}}}, responses));
    EXPECT_TRUE(responses[0]["messages"].empty());
    EXPECT_TRUE(responses[1]["not_found"].get<bool>());
    EXPECT_FALSE(fs::exists(dir.path() / "none"));
}
