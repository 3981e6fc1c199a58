#pragma once
// The battery as data: vectors.txt parsed into specs, then expanded for one
// target (its name, IP, banner) and one set of options.
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::relaytest {

struct VectorSpec {
    std::string id;
    std::string helo;       // "" = our own HELO name; may hold placeholders
    bool tls_too = false;   // repeat inside STARTTLS
    std::string mail_from;  // template
    std::string rcpt_to;    // template
    std::string probes;
    int line = 0;
};

struct VectorFile {
    std::vector<VectorSpec> specs;
    std::vector<std::string> errors;  // "line 12: unknown placeholder {foo}"
};

// Parses the vectors file format (see vectors.txt). Never throws.
VectorFile parse_vectors(std::string_view text);

// The battery compiled into the binary (generated from vectors.txt).
std::string_view builtin_vectors_text();

// Values for the placeholders; upper-case spellings ({EXT}) upper-case them.
struct Placeholders {
    std::string ext, to, from, from_domain;
    std::string host, banner, domain;
    std::string ip, iplit;
};

// Fills host/banner/domain/ip/iplit for a target. `host` is the name we were
// given (may be an IP), `ip` the address we connected to, `greeting` the
// first line of the 220 banner text. Falls back sensibly when the banner
// names nothing: banner <- host name <- IP literal.
void describe_target(Placeholders& p, std::string_view host, std::string_view ip,
                     std::string_view greeting);

// Replaces every {name}; false (and *error set) on an unknown placeholder.
bool expand(std::string_view tmpl, const Placeholders& p, std::string& out, std::string* error);

struct Vector {
    std::string id, probes, helo, mail_from, rcpt_to;
    bool tls_too = false;
    bool via_target = false;  // final domain written is not the outside one
    bool via_domain = false;  // ... and it is {domain}, the banner's parent, not the target's
                              // own name: routed mail would go on to that domain's server
};

// Expands every spec; drops later duplicates (same HELO, sender and
// recipient, e.g. when {host} and {banner} are the same name) and specs
// that fail to expand (reported in errors).
std::vector<Vector> expand_all(const std::vector<VectorSpec>& specs, const Placeholders& p,
                               std::vector<std::string>* errors = nullptr);

// The domain a recipient argument is written to, lower-cased, without a
// trailing dot: "<a%b@Host.>" -> "host", "<\"a@b\">" -> "" (unqualified).
std::string written_domain(std::string_view rcpt_arg);

}  // namespace holdfast::relaytest
