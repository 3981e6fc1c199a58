#pragma once
// Local delivery into a Maildir (https://cr.yp.to/proto/maildir.html).
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

namespace holdfast::delivery {

// Who owns what a delivery creates, and its mode. The writing thread acts
// as that user (setfsuid/setfsgid: its permission checks and the new files'
// owner are the user's), so the daemon must run as root to deliver as
// another user. uid/gid -1: the daemon's own.
struct MaildirOwner {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    mode_t mode = 0600;  // files; directories get the same bits plus x (0700 / 0770)
};

// Errors of deliver_to_maildir besides the system's (errno) ones.
enum class MaildirErrc { symlink = 1, not_owner };
std::error_code make_error_code(MaildirErrc e);

// Writes message into the Maildir at path: creates the missing directories
// of path and tmp/ new/ cur/, writes tmp/UNIQUE with "Return-Path:
// <return_path>" and "Delivered-To: delivered_to" header lines prepended
// and every line ending stored as LF (as Postfix and Dovecot store Maildir
// files; the spool's CRLF is the wire form), fsyncs, renames it into new/
// and fsyncs new/. When this returns success the message survives a crash.
// Every component of path is opened with openat(O_NOFOLLOW): a symbolic
// link anywhere in it is MaildirErrc::symlink and nothing is written.
//
// delivery_key, when given, makes the delivery idempotent: it names the file
// in new/ (it must be unique per message and recipient and contain no '/'
// or ':'), so delivering the same message again after a crash between the
// Maildir write and the spool update replaces the copy rather than
// duplicating it. (A copy already moved to cur/ by a mail reader in that
// window would still be duplicated.)
std::error_code deliver_to_maildir(const std::filesystem::path& path, std::string_view message,
                                   std::string_view return_path, std::string_view delivered_to,
                                   std::string_view delivery_key = {},
                                   const MaildirOwner& owner = {});
// The same, with the message read piece by piece (a large message is never
// held whole): next fills chunk with the following octets, empty at the end.
using MessageSource = std::function<std::error_code(std::string& chunk)>;
std::error_code deliver_to_maildir(const std::filesystem::path& path, const MessageSource& next,
                                   std::string_view return_path, std::string_view delivered_to,
                                   std::string_view delivery_key = {},
                                   const MaildirOwner& owner = {});

// Expands a maildir template: %u = local part (lower-cased), %d = domain,
// %% = '%'. An empty path when the local part or domain could escape the
// template's directory ('/', NUL, ".", ".." or empty). Other escapes are
// refused by check-config.
std::filesystem::path expand_maildir(std::string_view tmpl, std::string_view local_part,
                                     std::string_view domain);

}  // namespace holdfast::delivery

template <>
struct std::is_error_code_enum<holdfast::delivery::MaildirErrc> : std::true_type {};
