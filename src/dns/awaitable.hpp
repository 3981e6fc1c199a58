#pragma once
// Asio C++20 coroutine front of the resolver:
//     dns::Result r = co_await dns::query(resolver, "example.org", dns::RrType::mx);
// The completion runs on the awaiting coroutine's executor. The operation
// honours per-operation cancellation, so `co_await (query(...) || timer)`
// returns as soon as the timer fires (the abandoned c-ares query finishes
// on its own, bounded by the resolver's timeout).
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "dns/resolver.hpp"

namespace holdfast::dns {

namespace detail {

// Shared by the resolver's callback and the cancellation handler: whichever
// flips `done` first completes the coroutine; the other does nothing.
template <typename Handler>
struct QueryOp {
    using Executor = boost::asio::associated_executor_t<Handler>;
    QueryOp(Handler h)
        : handler(std::move(h)),
          work(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                   boost::asio::execution::outstanding_work.tracked)) {}

    // The work guard moves out with the completion: an abandoned c-ares query
    // that finishes later must not keep the caller's io_context running.
    static void complete(const std::shared_ptr<QueryOp>& op, Result r) {
        if (op->done.exchange(true)) return;
        auto ex = std::move(*op->work);
        op->work.reset();
        boost::asio::post(ex, [op, r = std::move(r)]() mutable {
            auto slot = boost::asio::get_associated_cancellation_slot(op->handler);
            if (slot.is_connected()) slot.clear();
            std::move(op->handler)(std::move(r));
        });
    }

    Handler handler;
    std::optional<decltype(boost::asio::prefer(std::declval<Executor>(),
                                               boost::asio::execution::outstanding_work.tracked))>
        work;
    std::atomic<bool> done{false};
};

}  // namespace detail

template <typename CompletionToken = boost::asio::use_awaitable_t<>>
auto query(Resolver& resolver, std::string name, RrType type, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(Result)>(
        [&resolver, type](auto handler, std::string name) {
            using Op = detail::QueryOp<decltype(handler)>;
            auto op = std::make_shared<Op>(std::move(handler));
            auto slot = boost::asio::get_associated_cancellation_slot(op->handler);
            if (slot.is_connected()) {
                slot.assign([op, name, type](boost::asio::cancellation_type) {
                    Result r;
                    r.error = make_error_code(Errc::cancelled);
                    r.answer.name = name;
                    r.answer.type = type;
                    Op::complete(op, std::move(r));
                });
            }
            resolver.async_query(name, type, [op](Result r) { Op::complete(op, std::move(r)); });
        },
        token, std::move(name));
}

}  // namespace holdfast::dns
