#pragma once
// Reading an EHLO reply (RFC 5321 4.1.1.1): one keyword per line after the
// greeting line, keywords case-insensitive, parameters after a space.
#include "smtp/client/types.hpp"
#include "smtp/protocol/reply.hpp"

namespace holdfast::smtp::client {

Capabilities parse_capabilities(const Reply& ehlo_reply);

}  // namespace holdfast::smtp::client
