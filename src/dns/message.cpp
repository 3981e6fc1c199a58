#include "dns/message.hpp"

#include <cstdio>
#include <cstring>

#include "util/strings.hpp"

namespace holdfast::dns {
namespace {

// A cursor over the message; every read checks the bounds.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> b) : bytes_(b) {}
    bool u8(std::uint8_t& v) {
        if (pos_ + 1 > bytes_.size()) return false;
        v = bytes_[pos_++];
        return true;
    }
    bool u16(std::uint16_t& v) {
        if (pos_ + 2 > bytes_.size()) return false;
        v = static_cast<std::uint16_t>(bytes_[pos_] << 8 | bytes_[pos_ + 1]);
        pos_ += 2;
        return true;
    }
    bool u32(std::uint32_t& v) {
        std::uint16_t hi = 0, lo = 0;
        if (!u16(hi) || !u16(lo)) return false;
        v = std::uint32_t{hi} << 16 | lo;
        return true;
    }
    // A possibly compressed name. Pointers must point strictly before the
    // label that holds them, so a loop is impossible; the jump cap bounds
    // the work on long backward chains anyway.
    bool name(std::string& out) {
        out.clear();
        std::size_t p = pos_, wire_len = 1;
        std::optional<std::size_t> resume;
        int jumps = 0;
        for (;;) {
            if (p >= bytes_.size()) return false;
            std::uint8_t len = bytes_[p];
            if ((len & 0xc0) == 0xc0) {
                if (p + 1 >= bytes_.size() || ++jumps > kMaxCompressionJumps) return false;
                std::size_t target = (len & 0x3f) << 8 | bytes_[p + 1];
                if (target >= p) return false;
                if (!resume) resume = p + 2;
                p = target;
                continue;
            }
            if (len & 0xc0) return false;  // 0x40 / 0x80: extended label types, obsolete
            if (len == 0) {
                pos_ = resume ? *resume : p + 1;
                return true;
            }
            wire_len += len + 1u;
            if (wire_len > kMaxNameLength || p + 1 + len > bytes_.size()) return false;
            if (!out.empty()) out += '.';
            append_label(out, bytes_.subspan(p + 1, len));
            p += 1 + len;
        }
    }
    bool bytes(std::size_t n, std::span<const std::uint8_t>& out) {
        if (n > bytes_.size() - pos_) return false;
        out = bytes_.subspan(pos_, n);
        pos_ += n;
        return true;
    }
    std::size_t pos() const { return pos_; }
    void seek(std::size_t p) { pos_ = p; }

  private:
    // Presentation form (RFC 4343): bytes that would be ambiguous in a dotted
    // name ('.', '\\') or unprintable become \DDD, so no label can forge a
    // different name.
    static void append_label(std::string& out, std::span<const std::uint8_t> label) {
        for (std::uint8_t c : label) {
            if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
                out += util::ascii_lower(static_cast<char>(c));
            } else {
                char buf[5];
                std::snprintf(buf, sizeof buf, "\\%03u", c);
                out += buf;
            }
        }
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

bool parse_rdata(Reader& r, Record& rec, std::uint16_t rdlength) {
    std::size_t end = r.pos() + rdlength;
    switch (static_cast<RrType>(rec.type)) {
        case RrType::a: {
            std::span<const std::uint8_t> b;
            if (rdlength != 4 || !r.bytes(4, b)) return false;
            rec.address.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b[0], b[1], b[2], b[3]};
            break;
        }
        case RrType::aaaa: {
            std::span<const std::uint8_t> b;
            if (rdlength != 16 || !r.bytes(16, b)) return false;
            std::memcpy(rec.address.bytes.data(), b.data(), 16);
            break;
        }
        case RrType::cname:
        case RrType::ptr:
        case RrType::ns:
            if (!r.name(rec.target)) return false;
            break;
        case RrType::mx:
            if (!r.u16(rec.preference) || !r.name(rec.target)) return false;
            break;
        case RrType::txt:
            while (r.pos() < end) {
                std::uint8_t len = 0;
                std::span<const std::uint8_t> b;
                if (!r.u8(len) || !r.bytes(len, b)) return false;
                rec.strings.emplace_back(b.begin(), b.end());
            }
            break;
        case RrType::soa: {
            std::string rname;
            std::uint32_t serial, refresh, retry, expire;
            if (!r.name(rec.target) || !r.name(rname) || !r.u32(serial) || !r.u32(refresh) ||
                !r.u32(retry) || !r.u32(expire) || !r.u32(rec.soa_minimum)) {
                return false;
            }
            break;
        }
        default: {
            std::span<const std::uint8_t> skipped;
            return r.bytes(rdlength, skipped);
        }
    }
    return r.pos() == end;  // RDLENGTH must match what the type consumed
}

bool parse_records(Reader& r, std::uint16_t count, std::vector<Record>& out) {
    if (count > kMaxRecordsPerSection) return false;
    for (unsigned i = 0; i < count; ++i) {
        Record rec;
        std::uint16_t rdlength = 0;
        if (!r.name(rec.name) || !r.u16(rec.type) || !r.u16(rec.klass) || !r.u32(rec.ttl) ||
            !r.u16(rdlength)) {
            return false;
        }
        // RFC 2181 8: a TTL with the top bit set is to be read as zero.
        if (rec.ttl > 0x7fffffff) rec.ttl = 0;
        std::span<const std::uint8_t> whole;
        std::size_t start = r.pos();
        if (!r.bytes(rdlength, whole)) return false;
        r.seek(start);
        if (!parse_rdata(r, rec, rdlength)) return false;
        out.push_back(std::move(rec));
    }
    return true;
}

}  // namespace

std::string canonical_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    return util::ascii_lower(name);
}

std::optional<Message> parse_message(std::span<const std::uint8_t> bytes) {
    Reader r(bytes);
    Message m;
    std::uint16_t flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
    if (!r.u16(m.id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar)) {
        return std::nullopt;
    }
    m.response = flags & 0x8000;
    m.opcode = (flags >> 11) & 0x0f;
    m.truncated = flags & 0x0200;
    m.rcode = flags & 0x000f;
    if (qd > kMaxRecordsPerSection) return std::nullopt;
    for (unsigned i = 0; i < qd; ++i) {
        Question q;
        if (!r.name(q.name) || !r.u16(q.type) || !r.u16(q.klass)) return std::nullopt;
        m.questions.push_back(std::move(q));
    }
    if (!parse_records(r, an, m.answers) || !parse_records(r, ns, m.authority)) {
        return std::nullopt;
    }
    return m;
}

}  // namespace holdfast::dns
