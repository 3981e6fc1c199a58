#include "web/template.hpp"

#include <algorithm>
#include <charconv>

#include "util/markup.hpp"

namespace holdfast::web {

using json = nlohmann::json;

struct Template::Node {
    enum class Kind { text, escaped, raw, section, inverted };
    Kind kind = Kind::text;
    std::string text;  // literal text, or the name
    std::vector<Node> children;
};

std::string html_escape(std::string_view text) {
    return util::markup_escaped(text);
}

namespace {

using Node = Template::Node;

// Deeper nesting than any page needs; bounds the recursion on hostile input.
constexpr std::size_t kMaxDepth = 32;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool valid_name(std::string_view n) {
    if (n.empty()) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

std::size_t line_of(std::string_view all, std::size_t pos) {
    return 1 + static_cast<std::size_t>(std::count(all.begin(), all.begin() + pos, '\n'));
}

struct Parser {
    std::string_view src;
    std::size_t pos = 0;
    std::string error;

    bool fail(std::size_t at, const std::string& what) {
        error = "line " + std::to_string(line_of(src, at)) + ": " + what;
        return false;
    }

    // Parses until {{/closing}} (or the end when closing is empty).
    bool parse(std::vector<Node>& out, std::string_view closing, std::size_t depth) {
        if (depth > kMaxDepth) return fail(pos, "sections nested too deeply");
        while (pos < src.size()) {
            std::size_t open = src.find("{{", pos);
            if (open == std::string_view::npos) open = src.size();
            if (open > pos)
                out.push_back({Node::Kind::text, std::string(src.substr(pos, open - pos)), {}});
            if (open == src.size()) break;
            bool triple = src.substr(open, 3) == "{{{";
            std::size_t body = open + (triple ? 3 : 2);
            std::string_view end_mark = triple ? "}}}" : "}}";
            std::size_t close = src.find(end_mark, body);
            if (close == std::string_view::npos) return fail(open, "unclosed {{");
            std::string_view tag = trim(src.substr(body, close - body));
            pos = close + end_mark.size();
            if (triple) {
                if (!valid_name(tag)) return fail(open, "bad name in {{{...}}}");
                out.push_back({Node::Kind::raw, std::string(tag), {}});
                continue;
            }
            char sigil = tag.empty() ? '\0' : tag.front();
            if (sigil == '!') continue;
            if (sigil == '#' || sigil == '^' || sigil == '/') tag = trim(tag.substr(1));
            if (!valid_name(tag)) return fail(open, "bad name in {{...}}");
            if (sigil == '/') {
                if (tag != closing)
                    return fail(open, "{{/" + std::string(tag) + "}} closes nothing open");
                return true;
            }
            if (sigil == '#' || sigil == '^') {
                Node n{sigil == '#' ? Node::Kind::section : Node::Kind::inverted,
                       std::string(tag),
                       {}};
                if (!parse(n.children, tag, depth + 1)) return false;
                out.push_back(std::move(n));
                continue;
            }
            out.push_back({Node::Kind::escaped, std::string(tag), {}});
        }
        if (!closing.empty()) return fail(pos, "unclosed {{#" + std::string(closing) + "}}");
        return true;
    }
};

using Stack = std::vector<const json*>;

const json* find(const Stack& stack, std::string_view name) {
    if (name == ".") return stack.back();
    std::string_view first = name.substr(0, name.find('.'));
    const json* found = nullptr;
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
        if ((*it)->is_object()) {
            auto f = (*it)->find(std::string(first));
            if (f != (*it)->end()) {
                found = &*f;
                break;
            }
        }
    }
    if (!found || first.size() == name.size()) return found;
    std::string_view rest = name.substr(first.size() + 1);
    while (!rest.empty()) {
        std::string_view part = rest.substr(0, rest.find('.'));
        if (found->is_array()) {
            // "items.0": the first element (a section that shows only when there is one)
            std::size_t index = 0;
            auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
            if (ec != std::errc() || p != part.data() + part.size() || index >= found->size()) {
                return nullptr;
            }
            found = &(*found)[index];
        } else {
            if (!found->is_object()) return nullptr;
            auto f = found->find(std::string(part));
            if (f == found->end()) return nullptr;
            found = &*f;
        }
        rest.remove_prefix(std::min(rest.size(), part.size() + 1));
    }
    return found;
}

std::string text_of(const json* v) {
    if (!v || v->is_null()) return "";
    if (v->is_string()) return v->get<std::string>();
    if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
    if (v->is_number() || v->is_array() || v->is_object()) return v->dump();
    return "";
}

bool truthy(const json* v) {
    if (!v || v->is_null()) return false;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_string()) return !v->get_ref<const std::string&>().empty();
    if (v->is_number()) return v->get<double>() != 0;
    if (v->is_array()) return !v->empty();
    return true;  // an object, even an empty one
}

void render(const std::vector<Node>& nodes, Stack& stack, std::string& out) {
    for (const auto& n : nodes) {
        switch (n.kind) {
            case Node::Kind::text:
                out += n.text;
                break;
            case Node::Kind::escaped:
                out += html_escape(text_of(find(stack, n.text)));
                break;
            case Node::Kind::raw:
                out += text_of(find(stack, n.text));
                break;
            case Node::Kind::inverted:
                if (!truthy(find(stack, n.text))) render(n.children, stack, out);
                break;
            case Node::Kind::section: {
                const json* v = find(stack, n.text);
                if (!truthy(v)) break;
                if (v->is_array()) {
                    for (const auto& item : *v) {
                        stack.push_back(&item);
                        render(n.children, stack, out);
                        stack.pop_back();
                    }
                } else {
                    stack.push_back(v);
                    render(n.children, stack, out);
                    stack.pop_back();
                }
                break;
            }
        }
    }
}

}  // namespace

std::optional<Template> Template::parse(std::string_view text, std::string* error) {
    Parser p;
    p.src = text;
    auto nodes = std::make_shared<std::vector<Node>>();
    if (!p.parse(*nodes, "", 0)) {
        if (error) *error = p.error;
        return std::nullopt;
    }
    Template t;
    t.nodes_ = std::move(nodes);
    return t;
}

std::string Template::render(const json& data) const {
    std::string out;
    Stack stack{&data};
    web::render(*nodes_, stack, out);
    return out;
}

}  // namespace holdfast::web
