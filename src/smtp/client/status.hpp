#pragma once
// From a reply to a stage's outcome: 2xx/3xx go on, 4xx defers, 5xx fails;
// the enhanced code is the reply's own, or the class default (RFC 3463).
#include "smtp/client/types.hpp"
#include "smtp/protocol/reply.hpp"

namespace holdfast::smtp::client {

Status status_of(const Reply& r);

}  // namespace holdfast::smtp::client
