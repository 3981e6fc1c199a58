#pragma once
// The header section of a message arriving in pieces: its fields are kept
// (up to a bound) for DKIM, and where the body starts is found, so that the
// body can be hashed as it streams by and never held whole.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::dkim {

struct HeaderField {
    std::string name;  // lower case, without the colon, WSP trimmed
    std::string raw;   // the whole field as received, folding CRLFs inside, no final CRLF
};

class HeaderSection {
  public:
    // More than `max_bytes` of header fields: overflow(), fields stop being
    // kept (a message with megabytes of headers is not signed or verified).
    explicit HeaderSection(std::size_t max_bytes = 1 << 20) : max_bytes_(max_bytes) {}
    // Takes octets from the start of `bytes` while in the header section;
    // returns how many (fewer than bytes.size() only once done(): the rest
    // is body).
    std::size_t feed(std::string_view bytes);
    // End of message: a last field without CRLF or separator is kept.
    void finish();
    bool done() const { return done_; }
    bool overflow() const { return overflow_; }
    const std::vector<HeaderField>& fields() const { return fields_; }

  private:
    void end_line();
    void commit();

    std::size_t max_bytes_;
    std::size_t kept_ = 0;
    std::string line_;
    std::string field_;
    bool has_field_ = false;
    bool done_ = false;
    bool overflow_ = false;
    std::vector<HeaderField> fields_;
};

// The last instance of `name` (lower case) and the instances above it, for
// h= processing: instances(fields, "to") lists them bottom-up.
std::vector<const HeaderField*> instances_bottom_up(const std::vector<HeaderField>& fields,
                                                    std::string_view name);

}  // namespace holdfast::dkim
