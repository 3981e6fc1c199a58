#pragma once
// Local delivery into a Maildir (https://cr.yp.to/proto/maildir.html).
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace holdfast::delivery {

// Writes message into the Maildir at path: creates tmp/ new/ cur/ if
// missing, writes tmp/UNIQUE with "Return-Path: <return_path>" and
// "Delivered-To: delivered_to" header lines (CRLF, like the message)
// prepended, fsyncs, renames it into new/ and fsyncs new/. When this returns
// success the message survives a crash.
//
// delivery_key, when given, makes the delivery idempotent: it names the file
// in new/ (it must be unique per message and recipient and contain no '/'
// or ':'), so delivering the same message again after a crash between the
// Maildir write and the spool update replaces the copy rather than
// duplicating it. (A copy already moved to cur/ by a mail reader in that
// window would still be duplicated.)
std::error_code deliver_to_maildir(const std::filesystem::path& path, std::string_view message,
                                   std::string_view return_path, std::string_view delivered_to,
                                   std::string_view delivery_key = {});

// Expands a maildir template: %u = local part (lower-cased), %d = domain,
// %% = '%'. An empty path when the local part or domain could escape the
// template's directory ('/', NUL, ".", ".." or empty).
std::filesystem::path expand_maildir(std::string_view tmpl, std::string_view local_part,
                                     std::string_view domain);

}  // namespace holdfast::delivery
