#include "config/table_reader.hpp"

#include <fmt/format.h>

#include "util/duration.hpp"

namespace holdfast::config {

void Diagnostics::add(const toml::source_region& where, std::string message) {
    add(static_cast<unsigned>(where.begin.line), std::move(message));
}

void Diagnostics::add(unsigned line, std::string message) {
    list_.push_back(Diagnostic{file_, line, std::move(message)});
}

TableReader::TableReader(const toml::table& table, std::string section, Diagnostics& diags)
    : table_(table), section_(std::move(section)), diags_(diags) {}

const toml::node* TableReader::get(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
}

unsigned TableReader::line_of(std::string_view key) const {
    const toml::node* n = table_.get(key);
    return n ? n->source().begin.line : line();
}

void TableReader::error(std::string_view key, std::string message) {
    diags_.add(line_of(key), fmt::format("{} {}: {}", section_, key, message));
}

void TableReader::string(std::string_view key, std::string& out) {
    const toml::node* n = get(key);
    if (!n) return;
    if (auto v = n->value<std::string>()) {
        out = *v;
    } else {
        error(key, "expected a string");
    }
}

void TableReader::boolean(std::string_view key, bool& out) {
    const toml::node* n = get(key);
    if (!n) return;
    if (auto v = n->value<bool>()) {
        out = *v;
    } else {
        error(key, "expected true or false");
    }
}

void TableReader::duration(std::string_view key, Seconds& out) {
    const toml::node* n = get(key);
    if (!n) return;
    auto text = n->value<std::string>();
    auto d = text ? util::parse_duration(*text) : std::nullopt;
    if (d) {
        out = *d;
    } else {
        error(key, "expected a duration such as \"30s\", \"5m\", \"4h\" or \"7d\"");
    }
}

void TableReader::count(std::string_view key, std::size_t& out, std::size_t min, std::size_t max) {
    const toml::node* n = get(key);
    if (!n) return;
    auto v = n->value<std::int64_t>();
    if (!v || *v < 0 || static_cast<std::size_t>(*v) < min || static_cast<std::size_t>(*v) > max) {
        error(key, fmt::format("expected a whole number from {} to {}", min, max));
        return;
    }
    out = static_cast<std::size_t>(*v);
}

void TableReader::count(std::string_view key, unsigned& out, unsigned min, unsigned max) {
    std::size_t wide = out;
    count(key, wide, min, max);
    out = static_cast<unsigned>(wide);
}

void TableReader::number(std::string_view key, double& out) {
    const toml::node* n = get(key);
    if (!n) return;
    if (auto v = n->value<double>()) {
        out = *v;
    } else {
        error(key, "expected a number");
    }
}

void TableReader::strings(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = get(key);
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr) {
        error(key, "expected a list of strings, e.g. [\"a\", \"b\"]");
        return;
    }
    out.clear();
    for (const toml::node& item : *arr) {
        if (auto v = item.value<std::string>()) {
            out.push_back(*v);
        } else {
            diags_.add(item.source(),
                       fmt::format("{} {}: every entry must be a string", section_, key));
        }
    }
}

void TableReader::integers(std::string_view key, std::vector<long>& out, long min, long max) {
    const toml::node* n = get(key);
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr || arr->empty()) {
        error(key, "expected a non-empty list of whole numbers, e.g. [0, 100, 200]");
        return;
    }
    out.clear();
    for (const toml::node& item : *arr) {
        auto v = item.value<std::int64_t>();
        if (v && *v >= min && *v <= max) {
            out.push_back(static_cast<long>(*v));
        } else {
            diags_.add(item.source(), fmt::format("{} {}: every entry must be a whole number "
                                                  "from {} to {}",
                                                  section_, key, min, max));
        }
    }
}

void TableReader::networks(std::string_view key, std::vector<util::IpNetwork>& out) {
    std::vector<std::string> texts;
    if (!has(key)) {
        seen_.insert(std::string(key));
        return;
    }
    strings(key, texts);
    out.clear();
    for (const std::string& t : texts) {
        if (auto net = util::parse_network(t)) {
            out.push_back(*net);
        } else {
            error(key,
                  fmt::format("\"{}\" is not a network (write 192.0.2.0/24, 2001:db8::/32 or one "
                              "address; host bits must be zero)",
                              t));
        }
    }
}

void TableReader::number_map(std::string_view key, std::map<std::string, double>& out) {
    const toml::node* n = get(key);
    if (!n) return;
    const toml::table* t = n->as_table();
    if (!t) {
        error(key, "expected a table of name = number");
        return;
    }
    for (const auto& [k, v] : *t) {
        if (auto d = v.value<double>()) {
            out[std::string(k.str())] = *d;
        } else {
            diags_.add(v.source(),
                       fmt::format("{} {}.{}: expected a number", section_, key, k.str()));
        }
    }
}

void TableReader::finish() {
    for (const auto& [k, v] : table_) {
        if (!seen_.contains(k.str())) {
            diags_.add(v.source(), fmt::format("{}: unknown key \"{}\"", section_, k.str()));
        }
    }
}

}  // namespace holdfast::config
