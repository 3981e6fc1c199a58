#pragma once
// What the spool's tests share: an envelope to store, a spool opened (or
// the test fails), a store waited for, and names and files in a spool.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "mail/queue_id.hpp"
#include "queue/spool.hpp"

namespace holdfast::queue::testing {

inline Envelope envelope(std::vector<std::string> rcpts = {"alice@example.test"}) {
    Envelope e;
    e.id = holdfast::mail::new_queue_id();
    e.sender = "bob@example.org";
    for (auto& r : rcpts) e.recipients.push_back({r, RecipientKind::local, {}, {}, {}, {}});
    e.arrival = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    e.client = "helo.example [127.0.0.2]";
    return e;
}

inline std::unique_ptr<Spool> open_ok(const std::filesystem::path& dir) {
    std::error_code ec;
    auto s = Spool::open(dir, ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
}

// Stores and waits for the durable acknowledgement.
inline std::error_code store_sync(Spool& s, Envelope env, std::string msg) {
    std::promise<std::error_code> p;
    s.store(std::move(env), std::move(msg), [&](std::error_code ec) { p.set_value(ec); });
    return p.get_future().get();
}

inline std::size_t count(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                  std::filesystem::directory_iterator()));
}

// <spool>/log/<SEQ>.seg
inline std::filesystem::path segment_file(const std::filesystem::path& spool, int seq) {
    char name[32];
    std::snprintf(name, sizeof name, "%016x.seg", static_cast<unsigned>(seq));
    return spool / "log" / name;
}

inline void write(const std::filesystem::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
}

}  // namespace holdfast::queue::testing
