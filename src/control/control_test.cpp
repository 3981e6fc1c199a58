#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "control/client.hpp"
#include "control/protocol.hpp"
#include "control/server.hpp"
#include "control/summary.hpp"
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

queue::Recipient rcpt(std::string address, queue::RecipientKind kind,
                      queue::RecipientState state = queue::RecipientState::pending) {
    queue::Recipient r;
    r.address = std::move(address);
    r.kind = kind;
    r.state = state;
    return r;
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
        ControlServer server(Admin{*spool, {}, {}, {}, {}, {}});
        ASSERT_FALSE(server.start());
        struct stat st {};
        ASSERT_EQ(::stat(server.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        // A second daemon on the same socket is refused.
        ControlServer second(Admin{*spool, {}, {}, {}, {}, {}});
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
    ControlServer server(Admin{*spool, {}, {}, {}, {}, {}});
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

TEST(ControlAdmin, BounceFailsWhatIsPendingAndQueuesOneNoticeToTheSender) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    std::string id = store(*spool, "Subject: stuck\r\n\r\nbody\r\n");
    Admin admin{*spool, {"mx.example.test", {"example.test"}, {}}, {}, {}, {}, {}};
    json r = handle_request(admin, {{"cmd", "bounce"}, {"id", id}});
    ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
    EXPECT_EQ(r["recipients"], 1);  // alice; done@ was delivered already
    std::string notice = r["notice"];
    ASSERT_FALSE(notice.empty());
    EXPECT_FALSE(spool->get(id)) << "nothing pending: the message is gone";
    // The notice is stored asynchronously; the list shows it once written.
    std::optional<queue::Envelope> n;
    for (int i = 0; i < 200 && !n; ++i) {
        n = spool->get(notice);
        if (!n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(n);
    EXPECT_EQ(n->sender, "");
    ASSERT_EQ(n->recipients.size(), 1u);
    EXPECT_EQ(n->recipients[0].address, "bob@example.org");
    std::string text;
    ASSERT_FALSE(spool->read_message(notice, text));
    EXPECT_NE(text.find("Final-Recipient: rfc822; alice@example.test"), std::string::npos);
    EXPECT_NE(text.find("Status: 5.0.0"), std::string::npos);
    EXPECT_EQ(text.find("done@example.test"), std::string::npos);
    EXPECT_TRUE(handle_request(admin, {{"cmd", "bounce"}, {"id", id}})["not_found"].get<bool>());
}

TEST(ControlAdmin, ExpireSaysExpiredAndNoticesNeverGoToTheNullSender) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    std::string id = store(*spool, "Subject: x\r\n\r\nbody\r\n");
    Admin admin{*spool, {"mx.example.test", {}, {}}, {}, {}, {}, {}};
    json r = handle_request(admin, {{"cmd", "expire"}, {"id", id}});
    ASSERT_TRUE(r["ok"].get<bool>());
    std::string text;
    EXPECT_EQ(r["recipients"], 1);

    queue::Envelope e;
    e.id = mail::new_queue_id();
    e.sender = "";  // a bounce that cannot be delivered: never bounced itself
    e.recipients = {rcpt("x@example.org", queue::RecipientKind::relay)};
    std::promise<std::error_code> p;
    spool->store(e, "Subject: bounce\r\n\r\n", [&](std::error_code ec) { p.set_value(ec); });
    ASSERT_FALSE(p.get_future().get());
    json d = handle_request(admin, {{"cmd", "delete"}, {"id", e.id}, {"bounce", true}});
    ASSERT_TRUE(d["ok"].get<bool>());
    EXPECT_EQ(d["notice"], "");
    EXPECT_FALSE(spool->get(e.id));
}

TEST(ControlAdmin, FlushCallsTheDaemonOrResetsTheNextAttempt) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    std::string id = store(*spool, "Subject: x\r\n\r\nbody\r\n");
    auto later = std::chrono::system_clock::now() + std::chrono::hours(1);
    ASSERT_FALSE(
        spool->modify_recipients(id, [&](std::vector<queue::Recipient>&,
                                         std::chrono::system_clock::time_point& n) { n = later; }));
    std::vector<std::string> flushed;
    Admin daemon{*spool, {}, [&](const std::string& d) { flushed.push_back(d); }, {}, {}, {}};
    json r = handle_request(daemon, {{"cmd", "flush"}, {"domain", "Example.TEST"}});
    EXPECT_EQ(r["messages"], 1);
    EXPECT_EQ(flushed, std::vector<std::string>{"example.test"});
    EXPECT_EQ(handle_request(daemon, {{"cmd", "flush"}, {"domain", "other.test"}})["messages"], 0);
    EXPECT_EQ(spool->get(id)->next_attempt, later) << "the daemon's scheduler decides";

    Admin offline{*spool, {}, {}, {}, {}, {}};
    EXPECT_EQ(handle_request(offline, {{"cmd", "flush"}})["messages"], 1);
    EXPECT_EQ(spool->get(id)->next_attempt, std::chrono::system_clock::time_point{});
    EXPECT_FALSE(handle_request(offline, {{"cmd", "flush"}, {"domain", 3}})["ok"].get<bool>());
}

TEST(ControlAdmin, MetricsComeFromTheDaemonOnly) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    Admin offline{*spool, {}, {}, {}, {}, {}};
    json r = handle_request(offline, {{"cmd", "metrics"}});
    EXPECT_FALSE(r["ok"].get<bool>());
    EXPECT_NE(r["error"].get<std::string>().find("not running"), std::string::npos);
    Admin daemon{*spool, {}, {}, {}, {}, {}};
    daemon.metrics_text = [] { return std::string("# HELP x X.\n# TYPE x counter\nx 1\n"); };
    r = handle_request(daemon, {{"cmd", "metrics"}});
    EXPECT_TRUE(r["ok"].get<bool>());
    EXPECT_EQ(r["text"], "# HELP x X.\n# TYPE x counter\nx 1\n");
}

TEST(ControlAdmin, SummaryCountsPerDomainAndAge) {
    using std::chrono::minutes;
    auto now = std::chrono::system_clock::now();
    auto env = [&](std::vector<std::string> rcpts, minutes age, std::size_t size) {
        queue::Envelope e;
        for (auto& r : rcpts) e.recipients.push_back(rcpt(r, queue::RecipientKind::backup));
        e.arrival = now - age;
        e.size = size;
        return e;
    };
    std::vector<queue::Envelope> q = {
        env({"a@customer.test", "b@Customer.test"}, minutes(2), 100),
        env({"a@customer.test"}, minutes(30), 200),
        env({"x@other.test", "y@customer.test"}, minutes(3000), 50),
    };
    q[1].recipients.push_back(
        rcpt("done@done.test", queue::RecipientKind::relay, queue::RecipientState::delivered));
    json s = queue_summary(q, now);
    ASSERT_EQ(s["buckets"].size(), 10u);
    EXPECT_EQ(s["buckets"][0], "5m");
    EXPECT_EQ(s["buckets"][9], "1280m+");
    EXPECT_EQ(s["total"]["messages"], 3);
    EXPECT_EQ(s["total"]["bytes"], 350);
    ASSERT_EQ(s["domains"].size(), 2u);  // done.test has nothing pending
    const json& c = s["domains"][0];
    EXPECT_EQ(c["domain"], "customer.test");
    EXPECT_EQ(c["messages"], 3);
    EXPECT_EQ(c["ages"][0], 1);  // 2 minutes
    EXPECT_EQ(c["ages"][3], 1);  // 30 minutes: the 20-40 bucket
    EXPECT_EQ(c["ages"][9], 1);  // over 1280 minutes
    EXPECT_EQ(s["domains"][1]["domain"], "other.test");
}

TEST(ControlAdmin, ListShowsWhyMailWaitsBehindADownDestination) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    queue::Envelope e;
    e.id = mail::new_queue_id();
    e.sender = "s@example.org";
    e.recipients = {rcpt("a@customer.test", queue::RecipientKind::backup),
                    rcpt("b@other.test", queue::RecipientKind::relay)};
    std::promise<std::error_code> p;
    spool->store(e, "Subject: x\r\n\r\n", [&](std::error_code ec) { p.set_value(ec); });
    ASSERT_FALSE(p.get_future().get());
    Admin admin{*spool,
                {},
                {},
                {},
                [](const std::string& d) {
                    return d == "customer.test" ? std::string("connect to mx: refused") : "";
                },
                {}};
    json m = handle_request(admin, {{"cmd", "list"}})["messages"][0];
    EXPECT_EQ(m["last_error"], "delivery temporarily suspended: connect to mx: refused");
    EXPECT_EQ(m["recipient_details"][0]["last_error"],
              "delivery temporarily suspended: connect to mx: refused");
    EXPECT_EQ(m["recipient_details"][1]["last_error"], "");
}

TEST(ControlAdmin, HoldAndReleaseAreRecordedAndReleaseReschedules) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    std::string id = store(*spool, "Subject: x\r\n\r\nbody\r\n");
    std::vector<std::string> rescheduled;
    Admin admin{*spool, {}, {}, [&](const std::string& i) { rescheduled.push_back(i); }, {}, {}};
    ASSERT_TRUE(handle_request(admin, {{"cmd", "hold"}, {"id", id}})["ok"].get<bool>());
    EXPECT_TRUE(spool->get(id)->held);
    EXPECT_TRUE(rescheduled.empty());
    json listed = handle_request(admin, {{"cmd", "list"}})["messages"][0];
    EXPECT_TRUE(listed["held"].get<bool>());
    ASSERT_TRUE(handle_request(admin, {{"cmd", "release"}, {"id", id}})["ok"].get<bool>());
    EXPECT_FALSE(spool->get(id)->held);
    EXPECT_EQ(rescheduled, std::vector<std::string>{id});
    EXPECT_TRUE(handle_request(admin, {{"cmd", "hold"}, {"id", "NOSUCHID0000000"}})["not_found"]
                    .get<bool>());
}

// Issue 18: while a destination is down, a message is not tried before the
// destination's next probe, whatever its own (often past) time says; and a
// message whose attempt is under way says so.
TEST(ControlAdmin, NextAttemptIsTheLaterOfTheMessagesAndTheProbesAndInFlightIsShown) {
    TestDir dir;
    auto spool = open_spool(dir.path());
    queue::Envelope e;
    e.id = mail::new_queue_id();
    e.sender = "s@example.org";
    e.recipients = {rcpt("a@customer.test", queue::RecipientKind::backup)};
    std::promise<std::error_code> p;
    spool->store(e, "Subject: x\r\n\r\n", [&](std::error_code ec) { p.set_value(ec); });
    ASSERT_FALSE(p.get_future().get());
    auto past = std::chrono::system_clock::from_time_t(1'700'000'000);
    auto probe = std::chrono::system_clock::from_time_t(1'700'000'090);
    ASSERT_FALSE(spool->modify_state(e.id, [&](queue::Envelope& env) { env.next_attempt = past; }));
    Admin admin{*spool, {}, {}, {}, {}};
    admin.next_probe =
        [&](const std::string& d) -> std::optional<std::chrono::system_clock::time_point> {
        if (d == "customer.test") return probe;
        return std::nullopt;
    };
    admin.in_flight = [&](const std::string& id) { return id == e.id; };
    json m = handle_request(admin, {{"cmd", "list"}})["messages"][0];
    EXPECT_EQ(m["next_attempt"], rfc3339(probe));
    EXPECT_EQ(m["in_flight"], true);
    json shown = handle_request(admin, {{"cmd", "show"}, {"id", e.id}})["message"];
    EXPECT_EQ(shown["next_attempt"], rfc3339(probe));
    // Once the probe is earlier than the message's own time, the latter wins.
    admin.next_probe =
        [&](const std::string&) -> std::optional<std::chrono::system_clock::time_point> {
        return past - std::chrono::seconds(5);
    };
    admin.in_flight = {};
    m = handle_request(admin, {{"cmd", "list"}})["messages"][0];
    EXPECT_EQ(m["next_attempt"], rfc3339(past));
    EXPECT_EQ(m["in_flight"], false);
}
