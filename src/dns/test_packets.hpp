#pragma once
// Test-only: builds DNS messages byte by byte, so tests can state exactly
// what a (possibly hostile) server sends.
#include <cstdint>
#include <string_view>
#include <vector>

#include "util/strings.hpp"

namespace holdfast::dns::test {

class Packet {
  public:
    // A response header: QR set, RD+RA set, the given rcode and counts.
    Packet(std::uint16_t id, std::uint8_t rcode, std::uint16_t qd, std::uint16_t an,
           std::uint16_t ns = 0) {
        u16(id);
        u16(static_cast<std::uint16_t>(0x8180 | rcode));
        u16(qd), u16(an), u16(ns), u16(0);
    }
    Packet& u8(std::uint8_t v) { return b.push_back(v), *this; }
    Packet& u16(std::uint16_t v) { return u8(v >> 8).u8(v & 0xff); }
    Packet& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
    Packet& name(std::string_view dotted) {
        if (!dotted.empty()) {
            for (auto label : util::split(dotted, '.')) {
                u8(static_cast<std::uint8_t>(label.size()));
                b.insert(b.end(), label.begin(), label.end());
            }
        }
        return u8(0);
    }
    Packet& pointer(std::uint16_t offset) { return u16(0xc000 | offset); }
    Packet& question(std::string_view n, std::uint16_t type) { return name(n).u16(type).u16(1); }
    // Owner, type, class IN, TTL, then RDLENGTH + RDATA.
    Packet& rr(std::string_view owner, std::uint16_t type, std::uint32_t ttl,
               const std::vector<std::uint8_t>& rdata) {
        name(owner).u16(type).u16(1).u32(ttl).u16(static_cast<std::uint16_t>(rdata.size()));
        b.insert(b.end(), rdata.begin(), rdata.end());
        return *this;
    }
    std::vector<std::uint8_t> b;
};

inline std::vector<std::uint8_t> wire_name(std::string_view dotted) {
    auto all = Packet(0, 0, 0, 0).name(dotted).b;
    return {all.begin() + 12, all.end()};
}

inline std::vector<std::uint8_t> txt_rdata(std::string_view text) {
    std::vector<std::uint8_t> r{static_cast<std::uint8_t>(text.size())};
    r.insert(r.end(), text.begin(), text.end());
    return r;
}

inline std::vector<std::uint8_t> soa_rdata(std::uint32_t minimum) {
    auto r = wire_name("ns.test");
    auto rname = wire_name("hostmaster.test");
    r.insert(r.end(), rname.begin(), rname.end());
    for (std::uint32_t v : {1u, 3600u, 600u, 86400u, minimum}) {
        for (int s = 24; s >= 0; s -= 8) r.push_back(static_cast<std::uint8_t>(v >> s));
    }
    return r;
}

}  // namespace holdfast::dns::test
