#include "dkim/signer.hpp"

#include <openssl/evp.h>

#include <map>

#include "dkim/canon.hpp"
#include "util/base64.hpp"

namespace holdfast::dkim {

const std::vector<std::string_view> kSignedHeaders = {
    "from",       "to",           "cc",           "subject",
    "date",       "message-id",   "reply-to",     "in-reply-to",
    "references", "mime-version", "content-type", "content-transfer-encoding"};

class MessageHasher::RelaxedBodyHolder {
  public:
    explicit RelaxedBodyHolder(MessageHasher& h)
        : canon([&h](std::string_view bytes) {
              EVP_DigestUpdate(h.md_.get(), bytes.data(), bytes.size());
              h.body_octets_ += bytes.size();
          }) {}
    RelaxedBody canon;
};

MessageHasher::MessageHasher()
    : md_(EVP_MD_CTX_new(), EVP_MD_CTX_free), body_(std::make_unique<RelaxedBodyHolder>(*this)) {
    EVP_DigestInit_ex(md_.get(), EVP_sha256(), nullptr);
}

MessageHasher::~MessageHasher() = default;

void MessageHasher::feed(std::string_view bytes) {
    if (!headers_.done()) bytes.remove_prefix(headers_.feed(bytes));
    if (!bytes.empty()) body_->canon.feed(bytes);
}

void MessageHasher::finish() {
    headers_.finish();
    body_->canon.finish();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md_.get(), out, &len);
    digest_.assign(reinterpret_cast<char*>(out), len);
}

std::string MessageHasher::body_hash() const {
    return util::base64_encode(digest_);
}

std::string header_hash_input(const HeaderSection& headers, const std::vector<std::string>& h,
                              std::string_view signature_field, bool relaxed) {
    auto canon = [relaxed](std::string_view f) {
        return relaxed ? relaxed_header(f) : std::string(f) + "\r\n";
    };
    std::string data;
    std::map<std::string, std::size_t, std::less<>> used;  // instances taken so far, per name
    for (const auto& name : h) {
        auto list = instances_bottom_up(headers.fields(), name);
        std::size_t& n = used[name];
        if (n < list.size()) data += canon(list[n]->raw);
        ++n;
    }
    std::string sig = canon(signature_field);
    sig.resize(sig.size() - 2);  // without its CRLF (RFC 6376 3.7)
    return data + sig;
}

namespace {

// "Name <user@Example.TEST>" or "user@example.test" -> "example.test".
std::string domain_of_mailbox(std::string_view value) {
    auto lt = value.find('<');
    if (lt != std::string_view::npos) {
        auto gt = value.find('>', lt);
        value = value.substr(lt + 1, gt == std::string_view::npos ? gt : gt - lt - 1);
    }
    auto comma = value.find(',');
    if (comma != std::string_view::npos && lt == std::string_view::npos) {
        value = value.substr(0, comma);
    }
    auto at = value.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string out;
    for (char c : value.substr(at + 1)) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == ')' || c == ';') {
            if (!out.empty()) break;
            continue;
        }
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

}  // namespace

std::string from_domain(const HeaderSection& headers) {
    for (const auto& f : headers.fields()) {
        if (f.name != "from") continue;
        auto colon = f.raw.find(':');
        return domain_of_mailbox(std::string_view(f.raw).substr(colon + 1));
    }
    return {};
}

std::string sign(const MessageHasher& message, const SigningKey& key,
                 std::chrono::system_clock::time_point now) {
    std::vector<std::string> h;
    for (auto name : kSignedHeaders) {
        std::size_t n = instances_bottom_up(message.headers().fields(), name).size();
        if (name == "from") ++n;  // oversigned: no From can be added
        for (std::size_t i = 0; i < n; ++i) h.emplace_back(name);
    }
    std::string h_value;
    for (const auto& name : h) h_value += (h_value.empty() ? "" : ":") + name;
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    std::string field = "DKIM-Signature: v=1; a=" + std::string(algorithm_name(key.key.type())) +
                        "; c=relaxed/relaxed; d=" + key.domain + "; s=" + key.selector +
                        ";\r\n\tt=" + std::to_string(t) + "; h=" + h_value +
                        ";\r\n\tbh=" + message.body_hash() + ";\r\n\tb=";
    std::string signature = key.key.sign(header_hash_input(message.headers(), h, field));
    if (signature.empty()) return {};
    std::string b = util::base64_encode(signature);
    // Folded every 72 characters: FWS inside b= is ignored by verifiers.
    for (std::size_t i = 0; i < b.size(); i += 72) {
        if (i) field += "\r\n\t ";
        field += b.substr(i, 72);
    }
    return field + "\r\n";
}

}  // namespace holdfast::dkim
