#include "mail/dsn_params.hpp"

#include "util/strings.hpp"

namespace holdfast::mail {

std::string_view dsn_return_name(DsnReturn r) {
    switch (r) {
        case DsnReturn::full:
            return "full";
        case DsnReturn::headers:
            return "hdrs";
        case DsnReturn::unspecified:
            break;
    }
    return "";
}

std::optional<DsnReturn> parse_dsn_return_name(std::string_view s) {
    if (s.empty()) return DsnReturn::unspecified;
    if (s == "full") return DsnReturn::full;
    if (s == "hdrs") return DsnReturn::headers;
    return std::nullopt;
}

std::string dsn_notify_name(const DsnNotify& n) {
    if (!n.specified) return "";
    if (n.is_never()) return "never";
    std::string out;
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!out.empty()) out += ',';
        out += name;
    };
    add(n.success, "success");
    add(n.failure, "failure");
    add(n.delay, "delay");
    return out;
}

std::optional<DsnNotify> parse_dsn_notify_name(std::string_view s) {
    if (s.empty()) return DsnNotify{};
    if (s == "never") return DsnNotify::never();
    DsnNotify n;
    n.specified = true;
    for (std::string_view word : util::split(s, ',')) {
        bool* flag = word == "success"   ? &n.success
                     : word == "failure" ? &n.failure
                     : word == "delay"   ? &n.delay
                                         : nullptr;
        if (!flag || *flag) return std::nullopt;
        *flag = true;
    }
    return n;
}

}  // namespace holdfast::mail
