#include "scan/connection.hpp"

#include "util/net.hpp"

namespace holdfast::scan {

std::optional<Endpoint> endpoint_of(const std::string& target) {
    if (target.starts_with("unix:")) {
        return Endpoint(asio::local::stream_protocol::endpoint(target.substr(5)));
    }
    auto hp = util::parse_host_port(target);
    if (!hp) return std::nullopt;
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(hp->host, ec);
    if (ec) return std::nullopt;
    return Endpoint(asio::ip::tcp::endpoint(ip, hp->port));
}

Limiter::Limiter(asio::any_io_executor ex, std::size_t n) : tokens_(ex, n) {
    for (std::size_t i = 0; i < n; ++i) tokens_.try_send(boost::system::error_code{});
    shared_->tokens = &tokens_;
}

Limiter::~Limiter() {
    std::lock_guard lock(shared_->mu);
    shared_->tokens = nullptr;
}

asio::awaitable<Limiter::Permit> Limiter::acquire() {
    co_await tokens_.async_receive(asio::use_awaitable);
    co_return Permit(shared_);
}

Limiter::Permit::~Permit() {
    if (!s_) return;  // moved from
    std::lock_guard lock(s_->mu);
    if (s_->tokens) s_->tokens->try_send(boost::system::error_code{});
}

}  // namespace holdfast::scan
