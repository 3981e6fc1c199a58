#pragma once
// Queues a delivery status notice (bounce or delay warning) about some of
// a message's recipients back to its sender, from the null sender. Nothing
// is queued for a message from <>: a bounce is never bounced.
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dsn/dsn.hpp"
#include "queue/spool.hpp"

namespace holdfast::delivery {

struct NoticeSettings {
    std::string hostname;
    std::vector<std::string> local_domains;   // the sender's domain here: local delivery
    std::vector<std::string> backup_domains;  // here: the backup path
};

// From the config: our host name, the [[local]] and [[backup]] domains.
NoticeSettings notice_settings_from(const config::Config& c);

// Honours the sender's DSN requests (RFC 3461): a recipient whose NOTIFY
// excludes this kind of notice (NEVER, or a list without FAILURE / DELAY)
// is left out, RET=FULL returns the whole message (else its headers), and
// ENVID / ORCPT are quoted back. The recipients' original_recipient fields
// are filled from ORCPT here.
// Returns the new message's queue id, or "" when nothing was queued.
std::string queue_notice(queue::Spool& spool, const queue::Envelope& original,
                         std::string_view message, std::vector<dsn::RecipientStatus> recipients,
                         const NoticeSettings& settings, dsn::TimePoint now);

}  // namespace holdfast::delivery
