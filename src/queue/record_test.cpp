#include "queue/record.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "queue/errors.hpp"

using namespace holdfast::queue;

namespace {
Envelope sample() {
    Envelope e;
    e.id = "0123456789ABCDE";
    e.sender = "bob@example.org";
    e.recipients = {
        {"alice@example.test", RecipientKind::local, RecipientState::pending, "", {}, {}},
        {"carol@customer.test",
         RecipientKind::backup,
         RecipientState::failed,
         "550 5.1.1 no such user",
         {},
         {}}};
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

TEST(Record, DsnParametersRoundTripInTheHeaderOnly) {
    Envelope e = sample();
    e.ret = holdfast::mail::DsnReturn::full;
    e.envid = "QQ314159 +weird=";
    e.recipients[0].notify = {true, true, false, true};
    e.recipients[0].orcpt = "rfc822;Alice@Example.test";
    e.recipients[1].notify = holdfast::mail::DsnNotify::never();
    std::string file = record::encode_header(e);
    Envelope back;
    std::size_t len = 0;
    ASSERT_FALSE(record::decode_header(file, back, len));
    EXPECT_EQ(back, e);

    // A state file never carries them, and applying one keeps them.
    Envelope changed = e;
    changed.recipients[1].state = RecipientState::delivered;
    changed.warned = true;
    changed.held = true;
    changed.attempts = 4;  // the retry backoff survives a restart
    std::string state = record::encode_state(changed);
    EXPECT_NE(state.find("\"attempts\":4"), std::string::npos) << state;
    EXPECT_EQ(state.find("orcpt"), std::string::npos);
    EXPECT_EQ(state.find("notify"), std::string::npos);
    Envelope applied = back;
    ASSERT_FALSE(record::decode_state(state, applied));
    EXPECT_EQ(applied, changed);

    Envelope bad_notify;
    std::string broken = file;
    broken.replace(broken.find("\"never\""), 7, "\"sometimes\"");
    EXPECT_EQ(record::decode_header(broken, bad_notify, len), Errc::corrupt);
    std::string bad_ret = file;
    bad_ret.replace(bad_ret.find("\"full\""), 6, "\"most\"");
    EXPECT_EQ(record::decode_header(bad_ret, bad_notify, len), Errc::corrupt);
}

TEST(Record, FilesFromBeforeDsnStillDecode) {
    // Written by the previous version: no ret/envid/notify/orcpt, no
    // warned/held in the state file.
    std::string header =
        "HOLDFAST-QUEUE 1\n"
        "{\"id\":\"0123456789ABCDE\",\"sender\":\"bob@example.org\",\"recipients\":[{\"address\":"
        "\"alice@example.test\",\"kind\":\"local\",\"state\":\"pending\",\"last_error\":\"\"}],"
        "\"arrival\":1700000000123456,\"client\":\"c\",\"auth_user\":\"\",\"smtputf8\":false,"
        "\"size\":5}\n";
    Envelope env;
    std::size_t len = 0;
    ASSERT_FALSE(record::decode_header(header + "hello", env, len));
    EXPECT_EQ(env.ret, holdfast::mail::DsnReturn::unspecified);
    EXPECT_EQ(env.envid, "");
    EXPECT_FALSE(env.recipients[0].notify.specified);
    EXPECT_EQ(env.recipients[0].orcpt, "");
    std::string state =
        "HOLDFAST-STATE 1\n"
        "{\"recipients\":[{\"address\":\"alice@example.test\",\"kind\":\"local\",\"state\":"
        "\"pending\",\"last_error\":\"451 later\"}],\"next_attempt\":1700000030000000}\n";
    ASSERT_FALSE(record::decode_state(state, env));
    EXPECT_EQ(env.recipients[0].last_error, "451 later");
    EXPECT_FALSE(env.warned);
    EXPECT_FALSE(env.held);
    EXPECT_EQ(env.attempts, 0u);  // a spool from before attempts were kept
}

TEST(Record, MalformedEnvelopesAndStatesAreCorrupt) {
    const std::string good = record::envelope_json(sample());
    Envelope env;
    ASSERT_FALSE(record::parse_envelope_json(good, env));
    auto with = [&](const std::string& from, const std::string& to) {
        std::string s = good;
        auto at = s.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return s.replace(at, from.size(), to);
    };
    const std::vector<std::string> corrupt = {
        good + " {}",                                 // something after the object
        good + "x",                                   //
        good.substr(0, good.size() - 1),              // cut short
        "[" + good + "]",                             // not an object
        "",                                           //
        with("\"size\":5", "\"size\":-5"),            // negative size
        with("\"size\":5", "\"size\":5.5"),           // not an integer
        with("\"size\":5", "\"size\":\"5\""),         // a string
        with("\"smtputf8\":true", "\"smtputf8\":1"),  // required boolean
        with("\"sender\":\"bob@example.org\"", "\"sender\":null"),
        with("\"kind\":\"local\"", "\"kind\":\"remote\""),          // unknown kind
        with("\"state\":\"pending\"", "\"state\":7"),               //
        with("\"recipients\":[", "\"recipients\":[1,"),             // a recipient that is no object
        with("\"recipients\":[", "\"recipients\":{\"a\":["),        // no array
        with("\"id\":\"0123456789ABCDE\"", "\"id\":\"\xff\xfe\""),  // not UTF-8
    };
    for (const auto& line : corrupt) {
        EXPECT_EQ(record::parse_envelope_json(line, env), Errc::corrupt) << line;
    }
    // Optional fields of the wrong type are ignored; unknown fields skipped;
    // a repeated field counts as its last occurrence.
    Envelope lenient;
    ASSERT_FALSE(record::parse_envelope_json(
        with("\"client\":\"helo.example [127.0.0.2]\"",
             "\"client\":42,\"future\":{\"a\":[1,2,{\"b\":null}]},\"auth_user\":\"x\""),
        lenient));
    EXPECT_EQ(lenient.client, "");
    EXPECT_EQ(lenient.auth_user, "x");  // the later auth_user wins (keys are written sorted)
    Envelope body_file = sample();
    body_file.body_file = true;
    std::string with_body = record::envelope_json(body_file);
    ASSERT_FALSE(record::parse_envelope_json(with_body, env));
    EXPECT_TRUE(env.body_file);
    with_body.replace(with_body.find("\"file\""), 6, "\"pipe\"");
    EXPECT_EQ(record::parse_envelope_json(with_body, env), Errc::corrupt);

    const std::string state = record::state_json(sample());
    record::State s;
    ASSERT_FALSE(record::parse_state_json(state, s));
    EXPECT_EQ(s.recipients.size(), 2u);
    EXPECT_EQ(record::parse_state_json(state + "]", s), Errc::corrupt);
    EXPECT_EQ(record::parse_state_json("{\"recipients\":[]}", s), Errc::corrupt);  // no next
    EXPECT_EQ(record::parse_state_json("{\"next_attempt\":0}", s), Errc::corrupt);
    ASSERT_FALSE(record::parse_state_json(
        "{\"recipients\":[],\"next_attempt\":0,\"warned\":\"yes\",\"attempts\":-3}", s));
    EXPECT_FALSE(s.warned);
    EXPECT_EQ(s.attempts, 0u);
}

namespace {

// The lines as nlohmann's DOM dumped them before record_write.cpp: the
// writer must give the same bytes, so spools written before and after
// read alike.
using nlohmann_json = nlohmann::json;

std::int64_t reference_us(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

nlohmann_json reference_recipients(const Envelope& env, bool with_dsn) {
    nlohmann_json a = nlohmann_json::array();
    for (const auto& r : env.recipients) {
        nlohmann_json o = {{"address", r.address},
                           {"kind", std::string(kind_name(r.kind))},
                           {"state", std::string(state_name(r.state))},
                           {"last_error", r.last_error}};
        if (with_dsn && r.notify.specified) o["notify"] = holdfast::mail::dsn_notify_name(r.notify);
        if (with_dsn && !r.orcpt.empty()) o["orcpt"] = r.orcpt;
        a.push_back(std::move(o));
    }
    return a;
}

std::string reference_dump(const nlohmann_json& j) {
    return j.dump(-1, ' ', false, nlohmann_json::error_handler_t::replace);
}

std::string reference_envelope(const Envelope& env) {
    nlohmann_json j = {{"id", env.id},
                       {"sender", env.sender},
                       {"recipients", reference_recipients(env, true)},
                       {"arrival", reference_us(env.arrival)},
                       {"client", env.client},
                       {"auth_user", env.auth_user},
                       {"smtputf8", env.smtputf8},
                       {"size", env.size}};
    if (env.ret != holdfast::mail::DsnReturn::unspecified)
        j["ret"] = std::string(holdfast::mail::dsn_return_name(env.ret));
    if (!env.envid.empty()) j["envid"] = env.envid;
    if (env.body_file) j["body"] = "file";
    return reference_dump(j);
}

std::string reference_state(const Envelope& env) {
    nlohmann_json j = {{"recipients", reference_recipients(env, false)},
                       {"next_attempt", reference_us(env.next_attempt)},
                       {"warned", env.warned},
                       {"held", env.held}};
    if (env.attempts) j["attempts"] = env.attempts;
    return reference_dump(j);
}

}  // namespace

TEST(Record, WrittenAsTheDomWroteThem) {
    std::mt19937 rng(20261130);
    // Quotes, backslashes, every control character, DEL, UTF-8 of two to
    // four octets, and octets that are not UTF-8 at all.
    const std::vector<std::string> pieces = {"a",
                                             "bob@example.org",
                                             "\"",
                                             "\\",
                                             "\x7f",
                                             "\xc3\xa9",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x93\xab",
                                             "\xff",
                                             "\xc3",
                                             "\x80",
                                             " ",
                                             "[127.0.0.2]"};
    auto text = [&](int max_pieces) {
        std::string s;
        int n = static_cast<int>(rng() % (max_pieces + 1));
        for (int i = 0; i < n; ++i) {
            if (rng() % 4 == 0) {
                s += static_cast<char>(rng() % 0x20);
            } else {
                s += pieces[rng() % pieces.size()];
            }
        }
        return s;
    };
    for (int round = 0; round < 2000; ++round) {
        Envelope e = sample();
        e.id = text(3);
        e.sender = text(4);
        e.client = text(4);
        e.auth_user = round % 3 ? "" : text(2);
        e.envid = round % 2 ? "" : text(2);
        e.smtputf8 = round % 5 == 0;
        e.body_file = round % 7 == 0;
        e.size = rng();
        e.ret = static_cast<holdfast::mail::DsnReturn>(rng() % 3);
        e.arrival = std::chrono::system_clock::time_point(std::chrono::microseconds(rng()));
        e.next_attempt = std::chrono::system_clock::time_point(std::chrono::microseconds(rng()));
        e.warned = rng() % 2;
        e.held = rng() % 2;
        e.attempts = rng() % 3 ? 0 : rng() % 50;
        e.recipients.clear();
        for (unsigned i = 0, n = rng() % 4; i < n; ++i) {
            Recipient r;
            r.address = text(3);
            r.kind = static_cast<RecipientKind>(rng() % 3);
            r.state = static_cast<RecipientState>(rng() % 3);
            r.last_error = text(3);
            if (rng() % 2) {
                r.notify.specified = true;
                r.notify.success = rng() % 2;
                r.notify.failure = rng() % 2;
                r.notify.delay = rng() % 2;
            }
            if (rng() % 2) r.orcpt = "rfc822;" + text(2);
            e.recipients.push_back(r);
        }
        ASSERT_EQ(record::envelope_json(e), reference_envelope(e)) << "round " << round;
        ASSERT_EQ(record::state_json(e), reference_state(e)) << "round " << round;
    }
}
