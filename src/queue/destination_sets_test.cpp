#include "queue/destination_sets.hpp"

#include <gtest/gtest.h>

using namespace holdfast::queue;

namespace {
Recipient rcpt(std::string address, RecipientKind kind,
               RecipientState state = RecipientState::pending) {
    Recipient r;
    r.address = std::move(address);
    r.kind = kind;
    r.state = state;
    return r;
}
}  // namespace

TEST(DestinationSets, EqualSetsAreStoredOnceAndFreedWithTheirLastUser) {
    DestinationSets sets;
    auto a = sets.intern(
        {rcpt("x@B.test", RecipientKind::backup), rcpt("y@a.test", RecipientKind::relay)});
    // Order, case, duplicates and finished recipients do not matter.
    auto b = sets.intern({rcpt("z@a.test", RecipientKind::relay),
                          rcpt("w@b.test.", RecipientKind::backup),
                          rcpt("v@b.test", RecipientKind::backup),
                          rcpt("u@c.test", RecipientKind::relay, RecipientState::delivered)});
    EXPECT_EQ(a, b);
    EXPECT_EQ(sets.sets(), 1u);
    ASSERT_EQ(sets.get(a).size(), 2u);
    EXPECT_EQ(sets.get(a)[0], (PendingDestination{"a.test", RecipientKind::relay}));
    EXPECT_EQ(sets.get(a)[1], (PendingDestination{"b.test", RecipientKind::backup}));

    auto local =
        sets.intern({rcpt("me@b.test", RecipientKind::local)});  // another kind, another set
    EXPECT_NE(local, a);
    EXPECT_EQ(sets.domains(), 2u);
    auto none = sets.intern({rcpt("me@b.test", RecipientKind::local, RecipientState::failed)});
    EXPECT_TRUE(sets.get(none).empty());

    sets.release(a);
    EXPECT_EQ(sets.sets(), 3u);  // b still holds it
    sets.release(b);
    EXPECT_EQ(sets.sets(), 2u);
    EXPECT_EQ(sets.domains(), 1u);  // b.test, for the local set
    // A freed slot is reused, with the new set's contents.
    auto again = sets.intern({rcpt("q@d.test", RecipientKind::backup)});
    EXPECT_EQ(again, a);
    EXPECT_EQ(sets.get(again)[0].domain, "d.test");
    sets.release(local);
    sets.release(none);
    sets.release(again);
    EXPECT_EQ(sets.sets(), 0u);
    EXPECT_EQ(sets.domains(), 0u);
}
