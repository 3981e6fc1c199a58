#include "mail/hops.hpp"

#include <gtest/gtest.h>

#include <string>

using holdfast::mail::count_received;

TEST(Hops, CountsReceivedFieldsInTheHeaderOnly) {
    std::string m =
        "Received: from a by b; Mon, 30 Nov 2026 10:00:00 +0000\r\n"
        "RECEIVED : from c\r\n"
        "\tby d; Mon, 30 Nov 2026 10:00:00 +0000\r\n"
        "Received-SPF: pass\r\n"
        "X-Received: by e\r\n"
        "Subject: Received: not a field\r\n"
        "\r\n"
        "Received: in the body does not count\r\n";
    EXPECT_EQ(count_received(m), 2u);
}

TEST(Hops, SixtyAndBareLf) {
    std::string m;
    for (int i = 0; i < 60; ++i) m += "Received: from hop" + std::to_string(i) + "\n";
    m += "\nbody\n";
    EXPECT_EQ(count_received(m), 60u);
    EXPECT_EQ(count_received(""), 0u);
    EXPECT_EQ(count_received("Received: x"), 1u);  // no line end at all
}
