#pragma once
// A small Mustache-like template engine, pure (no I/O), escaped by default.
//
//   {{name}}          the value, HTML-escaped (names may be dotted: a.b.c,
//                     or "." for the current item)
//   {{{name}}}        the value as it is: only for HTML the server rendered
//                     itself (the layout's page body), never for user input
//   {{#name}}..{{/name}}  an array: once per element (the element on top of
//                     the context); an object: once, inside it; anything
//                     else true (true, non-empty string, non-zero number):
//                     once; false, null, "", 0, [] : not at all
//   {{^name}}..{{/name}}  the opposite: once when the section would not render
//   {{! comment}}
//
// Debian's mstch (Mustache) needs libboost-dev 1.74, which conflicts with
// the Boost 1.81 Holdfast builds on, and inja is not packaged: hence this.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::web {

// & < > " ' as entities.
std::string html_escape(std::string_view text);

class Template {
  public:
    struct Node;
    // The parsed template, or nullopt with *error ("line 3: unclosed {{#items}}").
    static std::optional<Template> parse(std::string_view text, std::string* error);
    std::string render(const nlohmann::json& data) const;

  private:
    std::shared_ptr<const std::vector<Node>> nodes_;
};

}  // namespace holdfast::web
