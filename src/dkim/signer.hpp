#pragma once
// DKIM signing (RFC 6376, RFC 8463): relaxed/relaxed, SHA-256, the usual
// header set with From signed once more than it occurs (so a From added in
// transit breaks the signature). The message streams through a
// MessageHasher once, as it arrives: the header fields are kept, the body
// only as its running hash.
#include <openssl/types.h>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/header_section.hpp"
#include "dkim/key.hpp"

namespace holdfast::dkim {

// The header fields signed when present, in h= order (From is listed once
// more than it occurs: oversigned).
extern const std::vector<std::string_view> kSignedHeaders;

class MessageHasher {
  public:
    MessageHasher();
    ~MessageHasher();
    MessageHasher(const MessageHasher&) = delete;
    MessageHasher& operator=(const MessageHasher&) = delete;
    void feed(std::string_view bytes);  // the message as on the wire, dot-unstuffed, CRLF
    void finish();                      // once, after the last feed
    const HeaderSection& headers() const { return headers_; }
    std::string body_hash() const;  // base64 of SHA-256 of the relaxed body (after finish)
    std::uint64_t body_octets() const { return body_octets_; }  // canonical body length

  private:
    HeaderSection headers_;
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md_;
    class RelaxedBodyHolder;
    std::unique_ptr<RelaxedBodyHolder> body_;
    std::string digest_;
    std::uint64_t body_octets_ = 0;
};

struct SigningKey {
    std::string domain;  // lower case
    std::string selector;
    PrivateKey key;
};

// The DKIM-Signature header field (with its final CRLF) for one key, or ""
// when signing failed. `now` is the t= value.
std::string sign(const MessageHasher& message, const SigningKey& key,
                 std::chrono::system_clock::time_point now);

// The domain of the (first) From: address, lower case; "" if none is found.
std::string from_domain(const HeaderSection& headers);

// The header hash input of RFC 6376 3.7: the fields named in `h` (bottom-up
// for repeats, absent ones contribute nothing) in relaxed form, then the
// DKIM-Signature field itself with b= emptied and without its final CRLF.
// relaxed = false: "simple" header canonicalisation (the fields as they are).
std::string header_hash_input(const HeaderSection& headers, const std::vector<std::string>& h,
                              std::string_view signature_field, bool relaxed = true);

}  // namespace holdfast::dkim
