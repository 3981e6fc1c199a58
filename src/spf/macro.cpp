#include "spf/macro.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

namespace holdfast::spf {
namespace {

std::string local_part(const std::string& sender) {
    auto at = sender.rfind('@');
    return at == std::string::npos ? "postmaster" : sender.substr(0, at);
}

std::string sender_domain(const std::string& sender) {
    auto at = sender.rfind('@');
    return at == std::string::npos ? sender : sender.substr(at + 1);
}

// %{i}: dotted quad, or 32 dot-separated nibbles for IPv6 (RFC 7208 7.3).
std::string ip_text(const util::IpAddress& ip) {
    if (ip.is_v4()) return ip.str();
    std::string out;
    for (std::uint8_t b : ip.bytes) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "%x.%x.", b >> 4, b & 0xf);
        out += buf;
    }
    out.pop_back();
    return out;
}

// Splits on `delims` (default "."), optionally reverses, keeps the last
// `digits` parts, joins with ".".
std::string transform(const std::string& value, unsigned digits, bool reverse,
                      std::string_view delims) {
    if (delims.empty()) delims = ".";
    std::vector<std::string> parts(1);
    for (char c : value) {
        if (delims.find(c) != std::string_view::npos) {
            parts.emplace_back();
        } else {
            parts.back() += c;
        }
    }
    if (reverse) std::reverse(parts.begin(), parts.end());
    std::size_t start = digits && digits < parts.size() ? parts.size() - digits : 0;
    std::string out;
    for (std::size_t i = start; i < parts.size(); ++i) {
        if (i > start) out += '.';
        out += parts[i];
    }
    return out;
}

std::string url_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> expand(std::string_view spec, const MacroContext& ctx) {
    std::string out;
    for (std::size_t i = 0; i < spec.size(); ++i) {
        char c = spec[i];
        if (c != '%') {
            if (c <= 0x20 || c >= 0x7f) return std::nullopt;
            out += c;
            continue;
        }
        if (++i >= spec.size()) return std::nullopt;
        c = spec[i];
        if (c == '%') {
            out += '%';
            continue;
        }
        if (c == '_') {
            out += ' ';
            continue;
        }
        if (c == '-') {
            out += "%20";
            continue;
        }
        if (c != '{') return std::nullopt;
        auto close = spec.find('}', i);
        if (close == std::string_view::npos || close == i + 1) return std::nullopt;
        std::string_view body = spec.substr(i + 1, close - i - 1);
        i = close;
        char letter = body[0];
        const bool upper = letter >= 'A' && letter <= 'Z';
        if (upper) letter = static_cast<char>(letter - 'A' + 'a');
        std::string value;
        switch (letter) {
            case 's':
                value = ctx.sender;
                break;
            case 'l':
                value = local_part(ctx.sender);
                break;
            case 'o':
                value = sender_domain(ctx.sender);
                break;
            case 'd':
                value = ctx.domain;
                break;
            case 'i':
                value = ip_text(ctx.ip);
                break;
            case 'h':
                value = ctx.helo;
                break;
            case 'v':
                value = ctx.ip.is_v4() ? "in-addr" : "ip6";
                break;
            case 'p':
                value = "unknown";
                break;
            default:
                return std::nullopt;  // c, r, t: explanation strings only
        }
        std::size_t j = 1;
        unsigned digits = 0;
        while (j < body.size() && body[j] >= '0' && body[j] <= '9') {
            digits = digits * 10 + static_cast<unsigned>(body[j] - '0');
            if (digits > 128) return std::nullopt;
            ++j;
        }
        if (j > 1 && digits == 0) return std::nullopt;  // "0" is not allowed
        bool reverse = false;
        if (j < body.size() && (body[j] == 'r' || body[j] == 'R')) {
            reverse = true;
            ++j;
        }
        std::string_view delims = body.substr(j);
        for (char d : delims) {
            if (std::string_view(".-+,/_=").find(d) == std::string_view::npos) {
                return std::nullopt;
            }
        }
        value = transform(value, digits, reverse, delims);
        out += upper ? url_escape(value) : value;
    }
    while (out.size() > 253) {
        auto dot = out.find('.');
        if (dot == std::string::npos) return std::nullopt;
        out.erase(0, dot + 1);
    }
    return out;
}

}  // namespace holdfast::spf
