#pragma once
// Typed reads from one TOML table, each mistake recorded with its line; keys
// nobody asked for are reported by finish() as unknown (typos are errors, not
// silently ignored settings).
#include <toml++/toml.h>

#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace holdfast::config {

class Diagnostics {
  public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}
    void add(const toml::source_region& where, std::string message);
    void add(unsigned line, std::string message);
    std::vector<Diagnostic> take() { return std::move(list_); }
    bool empty() const { return list_.empty(); }

  private:
    std::string file_;
    std::vector<Diagnostic> list_;
};

class TableReader {
  public:
    // section names the table in messages: "[queue]", "[[local]] #2".
    TableReader(const toml::table& table, std::string section, Diagnostics& diags);

    void string(std::string_view key, std::string& out);
    void boolean(std::string_view key, bool& out);
    void duration(std::string_view key, Seconds& out);
    void count(std::string_view key, std::size_t& out, std::size_t min, std::size_t max);
    void count(std::string_view key, unsigned& out, unsigned min, unsigned max);
    void number(std::string_view key, double& out);
    void strings(std::string_view key, std::vector<std::string>& out);
    void integers(std::string_view key, std::vector<long>& out, long min, long max);
    void networks(std::string_view key, std::vector<util::IpNetwork>& out);
    // A sub-table read as key = number pairs (dnsbl weights).
    void number_map(std::string_view key, std::map<std::string, double>& out);

    bool has(std::string_view key) const { return table_.contains(key); }
    unsigned line_of(std::string_view key) const;
    unsigned line() const { return table_.source().begin.line; }
    Diagnostics& diags() { return diags_; }
    void error(std::string_view key, std::string message);

    // Reports every key of the table that no read asked for.
    void finish();

  private:
    const toml::node* get(std::string_view key);

    const toml::table& table_;
    std::string section_;
    Diagnostics& diags_;
    std::set<std::string, std::less<>> seen_;
};

}  // namespace holdfast::config
