#pragma once
// One SMTP conversation: an explicit state machine (OpenSMTPD-style) in a
// coroutine that owns its connection. State = the phase below plus an
// optional Transaction; each verb has one handler that checks, acts and
// returns the reply. Reading, framing and parsing are separate (smtp/protocol).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "dnsbl/checker.hpp"
#include "mail/address.hpp"
#include "policy/recipient_policy.hpp"
#include "queue/envelope.hpp"
#include "queue/spool.hpp"
#include "smtp/protocol/command.hpp"
#include "smtp/protocol/line_framer.hpp"
#include "smtp/protocol/reply.hpp"
#include "smtp/server/context.hpp"
#include "smtp/server/stream.hpp"
#include "spf/check.hpp"

namespace holdfast::smtp {

class Session : public std::enable_shared_from_this<Session> {
  public:
    // `peer`: from the accept. `bound`: the listener's address; when it is
    // a wildcard, the session asks the socket for its local address.
    Session(Stream::Socket socket, SessionContext& ctx, config::Listen listen,
            const boost::asio::ip::tcp::endpoint& peer, const boost::asio::ip::address& bound);
    boost::asio::awaitable<void> run();
    // The daemon is stopping (thread-safe, runs on the session's strand):
    // waiting for a command, the session answers 421 and ends; in the
    // middle of one, it finishes it first.
    void shutdown();
    // Stopping and out of patience: closes the connection (thread-safe).
    void cut();

  private:
    enum class Phase { greeting, ready };  // ready: after HELO/EHLO
    struct Transaction {
        mail::Address sender;
        MailParams params;
        std::vector<queue::Recipient> recipients;
        std::optional<spf::Outcome> spf;  // [checks]: asked at the first RCPT
    };

    // I/O (session_io.cpp)
    boost::asio::awaitable<bool> read_more();  // false: connection over
    boost::asio::awaitable<void> flush();
    boost::asio::awaitable<std::optional<std::string>> read_line();  // for AUTH continuations
    boost::asio::awaitable<void> watchdog();
    void start_dnsbl_check();
    boost::asio::awaitable<void> await_dnsbl();
    void touch();  // the client did something: push the idle deadline
    void send(const Reply& r);
    void close_after(const Reply& r);
    void say_shutting_down();  // 421 4.3.2, then the connection ends

    // Dispatch and handlers (session.cpp, session_mail.cpp, session_auth.cpp)
    boost::asio::awaitable<void> handle_line(const LineFramer::Line& line);
    boost::asio::awaitable<void> dispatch(Command& c);
    Reply on_hello(const Command& c);
    Reply on_mail(const Command& c);
    bool spool_has_room(std::uint64_t announced_size) const;
    boost::asio::awaitable<Reply> on_rcpt(const Command& c);
    boost::asio::awaitable<void> on_data();
    boost::asio::awaitable<void> on_starttls();
    boost::asio::awaitable<void> on_auth(const Command& c);
    boost::asio::awaitable<std::optional<std::string>> auth_prompt(std::string prompt);
    void abort_auth();
    boost::asio::awaitable<std::error_code> store(queue::Envelope env, std::string message,
                                                  std::unique_ptr<queue::BodyFile> body);
    boost::asio::awaitable<void> answer_auth_failure(const std::string& user);
    // Backup domains (session_backup.cpp): whether a recipient the policy
    // placed at a backup domain exists, asked by on_rcpt with its one
    // decision (a reply here means refused or deferred); ETRN.
    boost::asio::awaitable<std::optional<Reply>> check_backup_rcpt(
        const policy::RecipientDecision& d);
    boost::asio::awaitable<void> on_etrn(const Command& c);
    // DKIM signing (session_dkim.cpp): whether this client's mail is signed
    // (relay.networks or authenticated), and the DKIM-Signature fields for a
    // message that streamed through `hasher` ("" when none applies).
    bool dkim_signs() const;
    std::string dkim_signatures(dkim::MessageHasher& hasher, const std::string& id) const;
    // [checks] (session_checks.cpp): whether they apply to this client (mx
    // role, not relay.networks, not authenticated), SPF at the first RCPT
    // (a reply: refused or deferred), the Authentication-Results field.
    bool checks_apply() const;
    // RFC 8601 5: Authentication-Results fields that arrive with our
    // authserv-id are removed before ours is added (in memory, or in the
    // body file's head). An error: the body file could not be edited.
    std::error_code drop_forged_auth_results(const std::string& queue_id, std::string& message,
                                             queue::BodyFile* body) const;
    boost::asio::awaitable<std::optional<Reply>> check_spf();
    // At the end of data: DKIM verification and DMARC for the message that
    // streamed through `verifier` (null: DMARC off); the
    // Authentication-Results field, or a refusal (DMARC enforce, p=reject).
    struct CheckResults {
        std::string header;
        std::optional<Reply> refusal;
    };
    boost::asio::awaitable<CheckResults> finish_checks(const Transaction& txn,
                                                       dkim::MessageVerifier* verifier,
                                                       const std::string& id);
    Reply ehlo_reply() const;
    void reset_transaction() { txn_.reset(); }
    void count_error(const Reply& r);
    std::string client_text() const;  // "helo [ip]" for logs
    // The configuration this session runs under: taken when it starts and
    // kept to its end, so a reload never changes the rules mid-session.
    const config::Config& config() const { return *settings_->config; }
    policy::Client policy_client() const;

    SessionContext& ctx_;
    const std::shared_ptr<const SessionSettings> settings_;  // what it runs under (a reload)
    const config::Listen listen_;
    Stream stream_;
    util::IpAddress peer_, local_;
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point started_, deadline_;
    bool timed_out_ = false;

    LineFramer framer_;
    std::string out_;  // replies waiting to be flushed (PIPELINING)
    bool closing_ = false;
    bool stopping_ = false;             // shutdown() was called
    bool waiting_for_command_ = false;  // run() is reading the next command

    Phase phase_ = Phase::greeting;
    bool esmtp_ = false;
    std::string helo_;
    std::string auth_user_;  // non-empty once authenticated
    unsigned auth_failures_ = 0;
    unsigned errors_ = 0;
    std::optional<Transaction> txn_;

    // The DNSBL verdict, asked at connect and awaited at the first RCPT so
    // that the banner never waits for DNS.
    std::optional<dnsbl::Verdict> dnsbl_;
    bool dnsbl_pending_ = false;
    boost::asio::steady_timer dnsbl_wait_;
};

}  // namespace holdfast::smtp
