#pragma once
// The web's files, embedded at build time (embed_assets.cmake): templates
// ("templates/index.html") and static files ("static/style.css").
#include <optional>
#include <string_view>

namespace holdfast::web {

std::optional<std::string_view> asset(std::string_view name);

}  // namespace holdfast::web
