#pragma once
#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/table_reader.hpp"

namespace holdfast::config {

// Checks that span several keys or touch the file system, and above all
// refuses any configuration that would make Holdfast an open relay.
void validate(const toml::table& root, const Config& c, Diagnostics& diags);
// [[dkim]] keys and [checks] (validate_mailauth.cpp).
void check_mail_auth(const toml::table& root, const Config& c, Diagnostics& diags);

// The widest relay network we accept: a typo like 0.0.0.0/0 or 10.0.0.0/1
// must never open the relay.
constexpr unsigned kWidestRelayPrefixV4 = 8;
constexpr unsigned kWidestRelayPrefixV6 = 32;

}  // namespace holdfast::config
