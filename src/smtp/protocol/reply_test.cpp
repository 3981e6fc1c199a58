#include "smtp/protocol/reply.hpp"

#include <gtest/gtest.h>

using holdfast::smtp::Reply;

TEST(Reply, WireFormSingleAndMultiLine) {
    EXPECT_EQ(Reply(250, "2.0.0", "Ok").wire(), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(Reply(220, "", "mx.test ESMTP").wire(), "220 mx.test ESMTP\r\n");
    Reply r;
    r.code = 250;
    r.lines = {"mx.test", "PIPELINING", "SIZE 100"};
    EXPECT_EQ(r.wire(), "250-mx.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
    EXPECT_EQ(r.summary(), "250 mx.test / PIPELINING / SIZE 100");
}

TEST(Reply, Classes) {
    EXPECT_TRUE(Reply(354, "", "go").positive());
    EXPECT_TRUE(Reply(451, "4.3.0", "x").transient());
    EXPECT_TRUE(Reply(550, "5.7.1", "x").permanent());
}

TEST(Reply, AppendWireAddsToWhatIsThere) {
    std::string out = "354 go ahead\r\n";
    Reply r(250, "2.0.0", "Ok: queued as 0123456789ABCDE");
    r.append_wire(out);
    EXPECT_EQ(out, "354 go ahead\r\n250 2.0.0 Ok: queued as 0123456789ABCDE\r\n");
    EXPECT_EQ(Reply(421, "4.4.2", "").wire(), "421 4.4.2\r\n");
    EXPECT_EQ(Reply(999, "", "x").wire(), "999 x\r\n");
}
