#include "mail/queue_id.hpp"

#include <random>

namespace holdfast::mail {
namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kTimeChars = 11;  // 55 bits of microseconds: until the year 3111
constexpr std::size_t kRandomChars = 4;

int digit_value(char c) {
    auto pos = kAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}
}  // namespace

std::string new_queue_id(std::chrono::system_clock::time_point now) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    auto us = static_cast<unsigned long long>(
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
    std::string id(kTimeChars + kRandomChars, '0');
    for (std::size_t i = kTimeChars; i-- > 0;) {
        id[i] = kAlphabet[us & 31];
        us >>= 5;
    }
    unsigned long long r = rng();
    for (std::size_t i = kTimeChars; i < id.size(); ++i) {
        id[i] = kAlphabet[r & 31];
        r >>= 5;
    }
    return id;
}

bool is_valid_queue_id(std::string_view id) {
    if (id.size() != kTimeChars + kRandomChars) return false;
    for (char c : id) {
        if (digit_value(c) < 0) return false;
    }
    return true;
}

std::chrono::system_clock::time_point queue_id_time(std::string_view id) {
    unsigned long long us = 0;
    for (std::size_t i = 0; i < kTimeChars && i < id.size(); ++i) {
        us = (us << 5) | static_cast<unsigned>(digit_value(id[i]) & 31);
    }
    return std::chrono::system_clock::time_point(std::chrono::microseconds(us));
}

}  // namespace holdfast::mail
