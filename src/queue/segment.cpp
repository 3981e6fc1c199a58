#include "queue/segment.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace holdfast::queue::segment {
namespace {

// zlib's CRC-32 (Python's zlib.crc32 too): several times faster than a
// byte-wise table, which matters when recovery checks a GiB of segments.
std::uint32_t crc_of(char type, std::string_view a, std::string_view b) {
    const auto t = static_cast<unsigned char>(type);
    uLong crc = ::crc32_z(0L, &t, 1);
    // A null buffer would make crc32_z return its initial value instead.
    for (std::string_view part : {a, b}) {
        if (!part.empty()) {
            crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(part.data()), part.size());
        }
    }
    return static_cast<std::uint32_t>(crc);
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(std::string_view s) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
    return v;
}

bool known_type(char c) {
    return c == static_cast<char>(RecordType::message) ||
           c == static_cast<char>(RecordType::state) || c == static_cast<char>(RecordType::done);
}

}  // namespace

std::uint32_t payload_length(std::string_view header) {
    return get_u32(header);
}

void append_record(std::string& out, RecordType type, std::string_view a, std::string_view b) {
    const char t = static_cast<char>(type);
    put_u32(out, static_cast<std::uint32_t>(a.size() + b.size()));
    put_u32(out, crc_of(t, a, b));
    out.push_back(t);
    out.append(a);
    out.append(b);
}

Reader::Reader(std::string_view data) : data_(data) {
    if (data_.substr(0, kMagic.size()) == kMagic) {
        magic_ok_ = true;
        pos_ = kMagic.size();
    } else if (data_.size() < kMagic.size() && kMagic.substr(0, data_.size()) == data_) {
        magic_ok_ = true;  // created, then the crash came before its first octets were flushed
        pos_ = 0;
        data_ = {};
    }
}

std::optional<Record> Reader::next() {
    if (!magic_ok_ || data_.size() - pos_ < kRecordHeader) return std::nullopt;
    std::string_view head = data_.substr(pos_, kRecordHeader);
    const std::uint32_t length = get_u32(head);
    const std::uint32_t crc = get_u32(head.substr(4));
    const char type = head[8];
    if (length > kMaxPayload || !known_type(type)) return std::nullopt;
    if (data_.size() - pos_ - kRecordHeader < length) return std::nullopt;
    std::string_view payload = data_.substr(pos_ + kRecordHeader, length);
    if (crc_of(type, payload, {}) != crc) return std::nullopt;
    Record r{static_cast<RecordType>(type), payload, pos_ + kRecordHeader};
    pos_ += kRecordHeader + length;
    return r;
}

std::uint64_t Reader::damaged() const {
    std::string_view rest = data_.substr(pos_);
    // From the end, a block at a time: the zeros are most of a new segment.
    static constexpr char kZeros[4096] = {};
    while (!rest.empty()) {
        const std::size_t n = std::min(rest.size(), sizeof kZeros);
        if (std::memcmp(rest.data() + rest.size() - n, kZeros, n) != 0) break;
        rest.remove_suffix(n);
    }
    while (!rest.empty() && rest.back() == '\0') rest.remove_suffix(1);
    return rest.size();
}

std::optional<IdAndRest> split_id(std::string_view payload) {
    auto nl = payload.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    return IdAndRest{payload.substr(0, nl), payload.substr(nl + 1)};
}

}  // namespace holdfast::queue::segment
