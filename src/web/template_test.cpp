#include "web/template.hpp"

#include <gtest/gtest.h>

namespace holdfast::web {
namespace {

using json = nlohmann::json;

std::string render(std::string_view text, const json& data) {
    std::string error;
    auto t = Template::parse(text, &error);
    EXPECT_TRUE(t) << error;
    return t ? t->render(data) : "";
}

std::string parse_error(std::string_view text) {
    std::string error;
    EXPECT_FALSE(Template::parse(text, &error));
    return error;
}

TEST(Template, EscapesByDefault) {
    EXPECT_EQ(render("<p>{{x}}</p>", {{"x", "<script>alert('1')</script>&\""}}),
              "<p>&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;&quot;</p>");
    EXPECT_EQ(render("{{{x}}}", {{"x", "<b>"}}), "<b>");
}

TEST(Template, ScalarsAndMissingNames) {
    EXPECT_EQ(render("{{n}} {{b}} {{z}} {{nul}}|", {{"n", 3}, {"b", true}, {"nul", nullptr}}),
              "3 true  |");
}

TEST(Template, DottedNamesAndIndexes) {
    json d = {{"a", {{"b", {{"c", "deep"}}}}}, {"list", {"first", "second"}}};
    EXPECT_EQ(render("{{a.b.c}} {{list.1}} {{list.9}} {{a.x.y}}", d), "deep second  ");
}

TEST(Template, SectionsIterateAndNest) {
    json d = {{"rows", {{{"k", "a"}, {"v", 1}}, {{"k", "b"}, {"v", 2}}}}, {"title", "T"}};
    EXPECT_EQ(render("{{#rows}}{{k}}={{v}}({{title}});{{/rows}}", d), "a=1(T);b=2(T);");
    EXPECT_EQ(render("{{#items}}[{{.}}]{{/items}}", {{"items", {"x", "<y>"}}}), "[x][&lt;y&gt;]");
}

TEST(Template, TruthinessAndInverted) {
    json d = {{"t", true},
              {"f", false},
              {"zero", 0},
              {"empty", ""},
              {"none", json::array()},
              {"obj", json::object()}};
    EXPECT_EQ(render("{{#t}}T{{/t}}{{#f}}F{{/f}}{{#zero}}Z{{/zero}}{{#empty}}E{{/"
                     "empty}}{{#none}}N{{/none}}{{#obj}}O{{/obj}}",
                     d),
              "TO");
    EXPECT_EQ(render("{{^f}}notf{{/f}}{{^t}}nott{{/t}}{{^missing}}m{{/missing}}", d), "notfm");
}

TEST(Template, CommentsAndBlanksInTags) {
    EXPECT_EQ(render("a{{! anything }}b{{ x }}", {{"x", 1}}), "ab1");
}

TEST(Template, MalformedTemplatesAreRefusedWithALine) {
    EXPECT_EQ(parse_error("ok\n{{x"), "line 2: unclosed {{");
    EXPECT_EQ(parse_error("{{#a}}never closed"), "line 1: unclosed {{#a}}");
    EXPECT_EQ(parse_error("{{#a}}{{/b}}"), "line 1: {{/b}} closes nothing open");
    EXPECT_EQ(parse_error("{{/a}}"), "line 1: {{/a}} closes nothing open");
    EXPECT_NE(parse_error("{{bad name}}"), "");
    EXPECT_NE(parse_error("{{}}"), "");
    EXPECT_NE(parse_error("{{{x}}"), "");
    EXPECT_NE(parse_error("{{#a}}{{#b}}{{/a}}{{/b}}"), "");
}

TEST(Template, DeepNestingIsRefusedNotACrash) {
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "{{#a}}";
    for (int i = 0; i < 100; ++i) deep += "{{/a}}";
    EXPECT_NE(parse_error(deep).find("nested too deeply"), std::string::npos);
}

TEST(Template, HtmlEscape) {
    EXPECT_EQ(html_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
}

}  // namespace
}  // namespace holdfast::web
