#pragma once
// RFC 6376 3.2 tag=value lists: DKIM-Signature header fields and DKIM key
// records (DMARC records use the same syntax, RFC 7489 6.4).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::dkim {

struct Tag {
    std::string name;
    std::string value;  // surrounding FWS removed; FWS inside kept as written
};

class TagList {
  public:
    // nullopt when malformed: a tag name that is not ALPHA *(ALNUM / "_"),
    // a missing "=", a character outside tag-value, or a tag given twice.
    static std::optional<TagList> parse(std::string_view text);
    const std::string* find(std::string_view name) const;
    const std::vector<Tag>& tags() const { return tags_; }

  private:
    std::vector<Tag> tags_;
};

// A value with every FWS character removed (b=, bh=, p= base64 may be folded).
std::string strip_fws(std::string_view value);

}  // namespace holdfast::dkim
