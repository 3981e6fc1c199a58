// Any bytes as a template: parse without crashing (bounded nesting), and a
// template that parses renders against a document holding markup without
// letting a '<' through from the data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "web/template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto t = holdfast::web::Template::parse(text, &error);
    if (!t) {
        if (error.empty()) __builtin_trap();
        return 0;
    }
    nlohmann::json doc = {{"a", "<x>"},
                          {"b", {{"c", "<y>"}, {"d", true}}},
                          {"items", {"<1>", "<2>", nlohmann::json::object({{"a", "<3>"}})}},
                          {"n", 0},
                          {"e", nlohmann::json::array()}};
    std::string out = t->render(doc);
    // Only {{{raw}}} may let data markup through; without it, no '<' from the data.
    if (text.find("{{{") == std::string_view::npos && text.find('<') == std::string_view::npos &&
        out.find('<') != std::string::npos) {
        __builtin_trap();
    }
    return 0;
}
