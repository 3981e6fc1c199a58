#include "queue/record.hpp"

#include <gtest/gtest.h>

#include "queue/errors.hpp"

using namespace holdfast::queue;

namespace {
Envelope sample() {
    Envelope e;
    e.id = "0123456789ABCDE";
    e.sender = "bob@example.org";
    e.recipients = {{"alice@example.test", RecipientKind::local, RecipientState::pending, ""},
                    {"carol@customer.test", RecipientKind::backup, RecipientState::failed,
                     "550 5.1.1 no such user"}};
    e.arrival = std::chrono::system_clock::time_point(std::chrono::microseconds(1700000000123456));
    e.client = "helo.example [127.0.0.2]";
    e.auth_user = "bob";
    e.smtputf8 = true;
    e.size = 5;
    return e;
}
}  // namespace

TEST(Record, HeaderRoundTrips) {
    Envelope e = sample();
    std::string file = record::encode_header(e) + "hello";
    Envelope back;
    std::size_t len = 0;
    ASSERT_FALSE(record::decode_header(file, back, len));
    EXPECT_EQ(back, e);
    EXPECT_EQ(file.substr(len), "hello");
    EXPECT_EQ(file.substr(0, record::kMessageMagic.size()), record::kMessageMagic);
}

TEST(Record, RejectsUnknownVersionAndGarbage) {
    Envelope back;
    std::size_t len = 0;
    std::string good = record::encode_header(sample());
    std::string v2 = "HOLDFAST-QUEUE 2\n" + good.substr(record::kMessageMagic.size());
    EXPECT_EQ(record::decode_header(v2, back, len), Errc::corrupt);
    EXPECT_EQ(record::decode_header("HOLDFAST-QUEUE 1\n{\"id\":", back, len), Errc::corrupt);
    EXPECT_EQ(record::decode_header("HOLDFAST-QUEUE 1\n[1,2]\n", back, len), Errc::corrupt);
    EXPECT_EQ(record::decode_header("HOLDFAST-QUEUE 1\n{\"id\":\"X\"}\n", back, len),
              Errc::corrupt);
    EXPECT_EQ(record::decode_header("", back, len), Errc::corrupt);
    // A torn header (cut before its newline) is not a header.
    EXPECT_EQ(record::decode_header(good.substr(0, good.size() - 1), back, len), Errc::corrupt);
}

TEST(Record, StateAppliesOnlyToTheSameRecipients) {
    Envelope e = sample();
    Envelope changed = e;
    changed.recipients[0].state = RecipientState::delivered;
    changed.next_attempt = e.arrival + std::chrono::seconds(30);
    std::string text = record::encode_state(changed);
    Envelope applied = e;
    ASSERT_FALSE(record::decode_state(text, applied));
    EXPECT_EQ(applied, changed);

    Envelope other = e;
    other.recipients.pop_back();
    EXPECT_EQ(record::decode_state(text, other), Errc::recipients_mismatch);
    EXPECT_EQ(record::decode_state("HOLDFAST-STATE 1\nnope\n", other), Errc::corrupt);
}
