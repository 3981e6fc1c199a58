#include "scan/selection.hpp"

#include <gtest/gtest.h>

namespace holdfast::scan {
namespace {

using queue::RecipientKind;

queue::Recipient rcpt(std::string a, RecipientKind k) {
    queue::Recipient r;
    r.address = std::move(a);
    r.kind = k;
    return r;
}

TEST(Selection, RecipientDomainsAndSenderForRelay) {
    config::Config c;
    c.locals.resize(2);
    c.locals[0].domain = "scanned.test";
    c.locals[0].scan = true;
    c.locals[1].domain = "plain.test";
    c.backups.resize(1);
    c.backups[0].domain = "backup.test";
    c.backups[0].scan = true;
    policy::CustomerDomainMap customers{{"cust.test", {"acme", false, true}},
                                        {"nocust.test", {"bob", false, false}}};
    EXPECT_EQ(
        scan_reason(c, &customers, "x@out.test", {rcpt("a@plain.test", RecipientKind::local)}), "");
    EXPECT_EQ(scan_reason(c, &customers, "",
                          {rcpt("a@plain.test", RecipientKind::local),
                           rcpt("b@SCANNED.test", RecipientKind::local)}),
              "rcpt:scanned.test");
    EXPECT_EQ(scan_reason(c, &customers, "", {rcpt("a@backup.test", RecipientKind::backup)}),
              "rcpt:backup.test");
    EXPECT_EQ(scan_reason(c, &customers, "", {rcpt("a@cust.test", RecipientKind::backup)}),
              "rcpt:cust.test");
    EXPECT_EQ(scan_reason(c, &customers, "", {rcpt("a@nocust.test", RecipientKind::backup)}), "");
    EXPECT_EQ(scan_reason(c, nullptr, "", {rcpt("a@cust.test", RecipientKind::backup)}), "");
    // Relayed (LAN, authenticated): the sender's domain counts too.
    EXPECT_EQ(
        scan_reason(c, &customers, "me@cust.test", {rcpt("x@far.test", RecipientKind::relay)}),
        "sender:cust.test");
    // Not for inbound mail that merely claims such a sender.
    EXPECT_EQ(
        scan_reason(c, &customers, "me@cust.test", {rcpt("a@plain.test", RecipientKind::local)}),
        "");
}

}  // namespace
}  // namespace holdfast::scan
