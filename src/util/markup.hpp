#pragma once
// Text made safe inside HTML and XML (the web's templates, the charts'
// SVG): & < > " ' as entities.
#include <string>
#include <string_view>

namespace holdfast::util {

// Appends `c`, as an entity when it is one of the five.
void append_markup_escaped(std::string& out, char c);
std::string markup_escaped(std::string_view text);

}  // namespace holdfast::util
