#pragma once
// DKIM verification (RFC 6376 6) of a message as it streams by: the
// DKIM-Signature fields are read once the header section is complete, each
// signature's body hash runs alongside (simple or relaxed, l= honoured),
// and at the end each is checked against its key record, which the caller
// fetches (asynchronously) from `key_name()`. rsa-sha1 is refused (RFC
// 8301); at most kMaxSignatures are looked at.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/header_section.hpp"

namespace holdfast::dkim {

enum class Verdict { pass, fail, neutral, temperror, permerror };
const char* verdict_name(Verdict v);  // as in Authentication-Results: "pass", ...

// One DKIM-Signature field, parsed (RFC 6376 3.5).
struct Signature {
    std::string algorithm;  // a=: "rsa-sha256" | "ed25519-sha256"
    std::string b, bh;      // decoded
    bool relaxed_header = false, relaxed_body = false;
    std::string domain;                   // d=, lower case
    std::string selector;                 // s=
    std::vector<std::string> headers;     // h=, lower case
    std::optional<std::uint64_t> length;  // l=
    std::optional<std::int64_t> expires;  // x=
    std::string raw;                      // the whole field, for the header hash
    // nullopt when malformed or unsupported; `why` says which.
    static std::optional<Signature> parse(const HeaderField& field, std::string& why);
};

struct SignatureResult {
    Verdict verdict = Verdict::permerror;
    std::string domain, selector, algorithm;
    std::string reason;  // "", or why not pass
};

class MessageVerifier {
  public:
    static constexpr std::size_t kMaxSignatures = 5;
    MessageVerifier();
    ~MessageVerifier();
    MessageVerifier(const MessageVerifier&) = delete;
    MessageVerifier& operator=(const MessageVerifier&) = delete;
    void feed(std::string_view bytes);
    void finish();
    const HeaderSection& headers() const { return headers_; }
    // After finish(): one entry per DKIM-Signature field looked at.
    std::size_t signatures() const;
    // The DNS name of signature i's key record ("" if it did not parse).
    std::string key_name(std::size_t i) const;
    // The verdict of signature i given its key record's TXT text (nullopt:
    // no record; `dns_temporary`: the lookup failed for now).
    SignatureResult verify(std::size_t i, const std::optional<std::string>& key_record,
                           bool dns_temporary, std::chrono::system_clock::time_point now) const;

  private:
    struct Entry;
    void start_body();
    HeaderSection headers_;
    bool body_started_ = false;
    std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace holdfast::dkim
