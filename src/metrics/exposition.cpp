#include "metrics/exposition.hpp"

#include <fmt/format.h>

#include <cmath>

namespace holdfast::metrics {

const char* type_name(Type t) {
    switch (t) {
        case Type::counter:
            return "counter";
        case Type::gauge:
            return "gauge";
        case Type::histogram:
            return "histogram";
    }
    return "untyped";
}

namespace {

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

}  // namespace

bool valid_metric_name(std::string_view name) {
    if (name.empty() || !(name_start(name[0]) || name[0] == ':')) return false;
    for (char c : name) {
        if (!name_char(c) && c != ':') return false;
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || !name_start(name[0]) || name.starts_with("__")) return false;
    for (char c : name) {
        if (!name_char(c)) return false;
    }
    return true;
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // Whole numbers below 2^53 print exactly, without an exponent.
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
        return fmt::format("{}", static_cast<long long>(v));
    }
    return fmt::format("{}", v);  // shortest form that reads back to the same double
}

std::string render(const std::vector<Family>& families) {
    std::string out;
    for (const auto& f : families) {
        if (!valid_metric_name(f.name)) continue;
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escape_help(f.help), f.name,
                           type_name(f.type));
        for (const auto& s : f.samples) {
            std::string line = f.name + s.suffix;
            bool ok = true;
            if (!s.labels.empty()) {
                line += '{';
                bool first = true;
                for (const auto& [k, v] : s.labels) {
                    ok = ok && valid_label_name(k);
                    if (!first) line += ',';
                    first = false;
                    line += k + "=\"" + escape_label_value(v) + '"';
                }
                line += '}';
            }
            if (!ok) continue;
            out += line + ' ' + format_value(s.value) + '\n';
        }
    }
    return out;
}

}  // namespace holdfast::metrics
