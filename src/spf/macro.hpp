#pragma once
// SPF macro expansion (RFC 7208 7): %{s} %{l} %{o} %{d} %{i} %{h} %{v} %{p}
// with digit and "r" transformers and delimiters, and %% %_ %-. %{c} %{r}
// %{t} (explanation-only) are refused. %{p} expands to "unknown": we do
// not do PTR validation. Pure.
#include <optional>
#include <string>
#include <string_view>

#include "util/net.hpp"

namespace holdfast::spf {

struct MacroContext {
    std::string sender;  // <sender>: local@domain (postmaster@helo for a null sender)
    std::string domain;  // <domain>: the current domain
    util::IpAddress ip;
    std::string helo;
};

// nullopt: a syntax error in the macro-string (permerror). The result is
// cut to 253 characters from the left, by whole labels (RFC 7208 7.3).
std::optional<std::string> expand(std::string_view spec, const MacroContext& ctx);

}  // namespace holdfast::spf
