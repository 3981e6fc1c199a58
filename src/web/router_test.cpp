// The pages' templates parse and render what the handlers produce; the
// removal links; SSE framing.
#include "web/router.hpp"

#include <gtest/gtest.h>

namespace holdfast::web {
namespace {

using json = nlohmann::json;

TEST(Pages, EveryTemplateParsesAndEscapesData) {
    Pages pages;
    json doc = {{"id", "7"},
                {"target", "<b>127.0.0.1:25</b>"},
                {"state", "done"},
                {"verdict", "open"},
                {"is_open", true},
                {"reason", "relayed <x>"},
                {"vectors",
                 {{{"id", "plain"},
                   {"mail_from", "<a@b>"},
                   {"rcpt_to", "<c@d>"},
                   {"result", "relayed"},
                   {"reply", "250 ok"}}}},
                {"transcript", "C: RCPT TO:<c@d>"}};
    std::string html = pages.render("relay_test", "Relay test", doc);
    EXPECT_NE(html.find("open relay"), std::string::npos);
    EXPECT_NE(html.find("&lt;b&gt;127.0.0.1:25&lt;/b&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<b>127"), std::string::npos);
    EXPECT_NE(html.find("name=\"viewport\""), std::string::npos);
    EXPECT_NE(html.find("/relay-tests/7"), std::string::npos);
    std::string refused =
        pages.render("refused", "No", {{"heading", "Not allowed"}, {"error", "outside <net>"}});
    EXPECT_NE(refused.find("outside &lt;net&gt;"), std::string::npos);
}

TEST(Pages, RunningTestRefreshesWithoutScript) {
    Pages pages;
    json doc = {{"id", "3"},
                {"target", "127.0.0.1:25"},
                {"state", "running"},
                {"running", true},
                {"refresh", 3},
                {"script", "/static/relay-test.js"},
                {"progress", {{"done", 2}, {"total", 40}, {"begun", {"plain", "percent-hack"}}}}};
    std::string html = pages.render("relay_test", "Relay test", doc);
    EXPECT_NE(html.find("<noscript><meta http-equiv=\"refresh\" content=\"3\"></noscript>"),
              std::string::npos);
    EXPECT_NE(html.find("percent-hack"), std::string::npos);
    EXPECT_NE(html.find("/relay-tests/3/events"), std::string::npos);
}

TEST(RemovalLink, FromTheListsAnswerOrItsOperator) {
    EXPECT_EQ(removal_link("zen.spamhaus.org",
                           "Listed; see https://www.spamhaus.org/query/ip/127.0.0.2", "127.0.0.2"),
              "https://www.spamhaus.org/query/ip/127.0.0.2");
    EXPECT_EQ(removal_link("bl.spamcop.net", "", "192.0.2.1"),
              "https://www.spamcop.net/bl.shtml?192.0.2.1");
    EXPECT_EQ(removal_link("psbl.surriel.com", "", "a b"), "https://psbl.org/listing?ip=a%20b");
    EXPECT_EQ(removal_link("unknown.test", "no link here", "192.0.2.1"), "");
    EXPECT_EQ(removal_link("x.test", "javascript:alert(1) http://ok.test/x\"y", "q"),
              "http://ok.test/x");
}

TEST(Sse, OneEventPerMessageEvenWithNewlinesInData) {
    EXPECT_EQ(sse_event("progress", {{"a", "x\n\ny"}}),
              "event: progress\ndata: {\"a\":\"x\\n\\ny\"}\n\n");
}

}  // namespace
}  // namespace holdfast::web
