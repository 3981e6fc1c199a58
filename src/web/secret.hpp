#pragma once
// Secrets of the web face: session ids, CSRF tokens, the public ids of
// relay-test results, and comparing them.
#include <string>

namespace holdfast::web {

// 32 random bytes as hex (getrandom(2)).
std::string random_token();
// Equal strings, in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b);

}  // namespace holdfast::web
