// DNSBL (RFC 5782) for the session: asked once at connect, in parallel with
// the banner; its verdict is applied at RCPT (DESIGN "Decide").
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>

#include "smtp/server/session.hpp"

namespace holdfast::smtp {
namespace asio = boost::asio;

void Session::start_dnsbl_check() {
    if (!settings_->dnsbl) return;
    dnsbl_pending_ = true;
    dnsbl_wait_.expires_at(asio::steady_timer::time_point::max());
    auto self = shared_from_this();
    // The checker bounds itself by [dnsbl] deadline and fails open.
    asio::co_spawn(stream_.socket().get_executor(), settings_->dnsbl->check(peer_),
                   [self](std::exception_ptr error, dnsbl::Verdict v) {
                       if (error) v = dnsbl::Verdict{};  // fail open, never block on our own bug
                       self->dnsbl_ = std::move(v);
                       self->dnsbl_pending_ = false;
                       self->dnsbl_wait_.cancel();
                   });
}

asio::awaitable<void> Session::await_dnsbl() {
    while (dnsbl_pending_ && !closing_) {
        boost::system::error_code ec;
        co_await dnsbl_wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace holdfast::smtp
