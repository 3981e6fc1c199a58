#include "queue/errors.hpp"

#include <string>

namespace holdfast::queue {
namespace {

class Category : public std::error_category {
  public:
    const char* name() const noexcept override { return "holdfast.queue"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
            case Errc::no_such_message:
                return "no such message";
            case Errc::corrupt:
                return "corrupt spool file";
            case Errc::bad_queue_id:
                return "invalid queue id";
            case Errc::duplicate_id:
                return "queue id already in use";
            case Errc::recipients_mismatch:
                return "recipients do not match the envelope";
            case Errc::spool_locked:
                return "spool is in use by another process";
            case Errc::shutting_down:
                return "spool is shutting down";
        }
        return "unknown queue error";
    }
};

}  // namespace

const std::error_category& queue_category() {
    static const Category c;
    return c;
}

std::error_code make_error_code(Errc e) {
    return {static_cast<int>(e), queue_category()};
}

}  // namespace holdfast::queue
