#include "dkim/verifier.hpp"

#include <openssl/evp.h>

#include <charconv>

#include "dkim/canon.hpp"
#include "dkim/key.hpp"
#include "dkim/signer.hpp"
#include "dkim/tag_list.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace holdfast::dkim {
namespace {

template <typename T>
std::optional<T> number(std::string_view s) {
    T v{};
    if (s.empty() || s.size() > 18) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string> split_colon(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ':') {
            out.push_back(util::ascii_lower(cur));
            cur.clear();
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            cur += c;
        }
    }
    out.push_back(util::ascii_lower(cur));
    return out;
}

}  // namespace

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::pass:
            return "pass";
        case Verdict::fail:
            return "fail";
        case Verdict::neutral:
            return "neutral";
        case Verdict::temperror:
            return "temperror";
        case Verdict::permerror:
            return "permerror";
    }
    return "?";
}

std::optional<Signature> Signature::parse(const HeaderField& field, std::string& why) {
    auto colon = field.raw.find(':');
    auto tags = TagList::parse(std::string_view(field.raw).substr(colon + 1));
    if (!tags) {
        why = "malformed tag list";
        return std::nullopt;
    }
    Signature s;
    s.raw = field.raw;
    const std::string* v = tags->find("v");
    const std::string* a = tags->find("a");
    const std::string* b = tags->find("b");
    const std::string* bh = tags->find("bh");
    const std::string* d = tags->find("d");
    const std::string* sel = tags->find("s");
    const std::string* h = tags->find("h");
    if (!v || !a || !b || !bh || !d || !sel || !h) {
        why = "a required tag is missing";
        return std::nullopt;
    }
    if (*v != "1") {
        why = "unknown version";
        return std::nullopt;
    }
    s.algorithm = util::ascii_lower(*a);
    if (s.algorithm != "rsa-sha256" && s.algorithm != "ed25519-sha256") {
        why = "unsupported algorithm " + s.algorithm;
        return std::nullopt;
    }
    auto bd = util::base64_decode(strip_fws(*b));
    auto bhd = util::base64_decode(strip_fws(*bh));
    if (!bd || !bhd || bd->empty() || bhd->size() != 32) {
        why = "bad b= or bh=";
        return std::nullopt;
    }
    s.b = *bd;
    s.bh = *bhd;
    if (const std::string* c = tags->find("c")) {
        std::string canon = util::ascii_lower(*c);
        auto slash = canon.find('/');
        std::string head = canon.substr(0, slash);
        std::string body = slash == std::string::npos ? "simple" : canon.substr(slash + 1);
        if ((head != "simple" && head != "relaxed") || (body != "simple" && body != "relaxed")) {
            why = "unknown canonicalisation";
            return std::nullopt;
        }
        s.relaxed_header = head == "relaxed";
        s.relaxed_body = body == "relaxed";
    }
    s.domain = util::ascii_lower(*d);
    s.selector = *sel;
    s.headers = split_colon(*h);
    bool signs_from = false;
    for (const auto& n : s.headers) signs_from = signs_from || n == "from";
    if (!signs_from) {
        why = "From is not signed";
        return std::nullopt;
    }
    if (const std::string* l = tags->find("l")) {
        if (!(s.length = number<std::uint64_t>(*l))) {
            why = "bad l=";
            return std::nullopt;
        }
    }
    if (const std::string* x = tags->find("x")) {
        if (!(s.expires = number<std::int64_t>(*x))) {
            why = "bad x=";
            return std::nullopt;
        }
    }
    if (s.domain.empty() || s.selector.empty()) {
        why = "empty d= or s=";
        return std::nullopt;
    }
    return s;
}

// One signature and its running body hash.
struct MessageVerifier::Entry {
    std::optional<Signature> sig;
    std::string why;  // parse failure
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md{EVP_MD_CTX_new(), EVP_MD_CTX_free};
    std::uint64_t hashed = 0;
    std::unique_ptr<RelaxedBody> relaxed;
    std::unique_ptr<SimpleBody> simple;
    std::string body_hash;

    void hash(std::string_view bytes) {
        if (sig->length) {
            if (hashed >= *sig->length) return;
            bytes = bytes.substr(0, static_cast<std::size_t>(*sig->length - hashed));
        }
        EVP_DigestUpdate(md.get(), bytes.data(), bytes.size());
        hashed += bytes.size();
    }
};

MessageVerifier::MessageVerifier() = default;
MessageVerifier::~MessageVerifier() = default;

void MessageVerifier::start_body() {
    body_started_ = true;
    for (const auto& f : headers_.fields()) {
        if (f.name != "dkim-signature") continue;
        if (entries_.size() == kMaxSignatures) break;
        auto e = std::make_unique<Entry>();
        e->sig = Signature::parse(f, e->why);
        if (e->sig) {
            EVP_DigestInit_ex(e->md.get(), EVP_sha256(), nullptr);
            Entry* p = e.get();
            auto sink = [p](std::string_view bytes) { p->hash(bytes); };
            if (e->sig->relaxed_body) {
                e->relaxed = std::make_unique<RelaxedBody>(sink);
            } else {
                e->simple = std::make_unique<SimpleBody>(sink);
            }
        }
        entries_.push_back(std::move(e));
    }
}

void MessageVerifier::feed(std::string_view bytes) {
    if (!headers_.done()) bytes.remove_prefix(headers_.feed(bytes));
    if (!headers_.done()) return;
    if (!body_started_) start_body();
    if (bytes.empty()) return;
    for (auto& e : entries_) {
        if (e->relaxed) e->relaxed->feed(bytes);
        if (e->simple) e->simple->feed(bytes);
    }
}

void MessageVerifier::finish() {
    headers_.finish();
    if (!body_started_) start_body();
    for (auto& e : entries_) {
        if (!e->sig) continue;
        if (e->relaxed) e->relaxed->finish();
        if (e->simple) e->simple->finish();
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(e->md.get(), out, &len);
        e->body_hash.assign(reinterpret_cast<char*>(out), len);
    }
}

std::size_t MessageVerifier::signatures() const {
    return entries_.size();
}

std::string MessageVerifier::key_name(std::size_t i) const {
    const auto& e = *entries_.at(i);
    if (!e.sig) return {};
    return e.sig->selector + "._domainkey." + e.sig->domain;
}

SignatureResult MessageVerifier::verify(std::size_t i, const std::optional<std::string>& key_record,
                                        bool dns_temporary,
                                        std::chrono::system_clock::time_point now) const {
    const Entry& e = *entries_.at(i);
    SignatureResult r;
    if (!e.sig) {
        r.reason = e.why;
        return r;  // permerror
    }
    const Signature& s = *e.sig;
    r.domain = s.domain;
    r.selector = s.selector;
    r.algorithm = s.algorithm;
    auto fail = [&](Verdict v, std::string why) {
        r.verdict = v;
        r.reason = std::move(why);
        return r;
    };
    if (s.expires &&
        *s.expires <
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) {
        return fail(Verdict::permerror, "signature expired");
    }
    if (e.sig->length && e.hashed < *e.sig->length)
        return fail(Verdict::permerror, "l= beyond body");
    if (e.body_hash != s.bh) return fail(Verdict::fail, "body hash did not verify");
    if (dns_temporary) return fail(Verdict::temperror, "key lookup failed");
    if (!key_record) return fail(Verdict::permerror, "no key for signature");
    auto tags = TagList::parse(*key_record);
    if (!tags) return fail(Verdict::permerror, "malformed key record");
    if (const std::string* v = tags->find("v"); v && *v != "DKIM1") {
        return fail(Verdict::permerror, "bad key record version");
    }
    const std::string* k = tags->find("k");
    auto type = parse_key_type(k ? util::ascii_lower(*k) : "rsa");
    const KeyType want = s.algorithm == "rsa-sha256" ? KeyType::rsa : KeyType::ed25519;
    if (!type || *type != want) return fail(Verdict::permerror, "key type does not match a=");
    const std::string* p = tags->find("p");
    if (!p) return fail(Verdict::permerror, "key record without p=");
    std::string p_text = strip_fws(*p);
    if (p_text.empty()) return fail(Verdict::permerror, "key revoked");
    auto der = util::base64_decode(p_text);
    auto key = der ? PublicKey::from_der(*type, *der) : std::nullopt;
    if (!key) return fail(Verdict::permerror, "key does not decode");
    if (*type == KeyType::rsa && key->bits() < 1024) {
        return fail(Verdict::permerror, "RSA key shorter than 1024 bits");
    }
    std::string input =
        header_hash_input(headers_, s.headers, without_b_value(s.raw), s.relaxed_header);
    if (!key->verify(input, s.b)) return fail(Verdict::fail, "signature did not verify");
    r.verdict = Verdict::pass;
    return r;
}

}  // namespace holdfast::dkim
