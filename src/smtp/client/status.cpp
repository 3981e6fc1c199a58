#include "smtp/client/status.hpp"

namespace holdfast::smtp::client {

std::string_view outcome_name(Outcome o) {
    switch (o) {
        case Outcome::delivered:
            return "delivered";
        case Outcome::deferred:
            return "deferred";
        case Outcome::failed:
            return "failed";
    }
    return "deferred";
}

Status status_of(const Reply& r) {
    Status s;
    s.code = r.code;
    s.outcome = r.positive()    ? Outcome::delivered
                : r.permanent() ? Outcome::failed
                                : Outcome::deferred;
    s.enhanced = !r.enhanced.empty() ? r.enhanced
                 : r.positive()      ? "2.0.0"
                 : r.permanent()     ? "5.0.0"
                                     : "4.0.0";
    s.text = r.summary();
    return s;
}

}  // namespace holdfast::smtp::client
