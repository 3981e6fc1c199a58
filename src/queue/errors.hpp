#pragma once
// The queue's expected failures, as std::error_code values.
#include <system_error>

namespace holdfast::queue {

enum class Errc {
    no_such_message = 1,  // the id is not in the spool
    corrupt,              // a spool file does not parse
    bad_queue_id,         // store() got an id that is not a valid queue id
    duplicate_id,         // store() got an id that is already spooled
    recipients_mismatch,  // update_recipients() with other addresses than the envelope's
    spool_locked,         // another process (a running daemon) holds the spool
    shutting_down,        // store() after the spool began to close
};

const std::error_category& queue_category();
std::error_code make_error_code(Errc e);

}  // namespace holdfast::queue

template <>
struct std::is_error_code_enum<holdfast::queue::Errc> : std::true_type {};
