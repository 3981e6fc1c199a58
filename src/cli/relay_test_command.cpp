// holdfast relay-test HOST[:PORT]: the open-relay battery against one host.
// Exit 0 closed, 1 open, 2 could not complete (CONTRACT.md).
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <random>

#include "cli/command.hpp"
#include "relaytest/relaytest.hpp"
#include "util/file.hpp"

namespace holdfast::cli {
namespace {

struct RelayTestArgs {
    std::string target;
    bool json = false;
    double timeout = 30, time_limit = 600, pause = 1, retry_pause = 10;
    std::string vectors_file;
    relaytest::Options options;
};

std::chrono::milliseconds ms(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

// "\r[12/47] nmap-12  relayed 0  refused 11  other 0" on one terminal line.
void show_progress(const relaytest::Progress& p) {
    std::cerr << "\r\x1b[K[" << p.done << "/" << p.total << "] " << p.current << "  relayed "
              << p.relayed << "  refused " << p.refused << "  other " << p.other << std::flush;
}

int run_relay_test(RelayTestArgs& a) {
    auto target = relaytest::parse_target(a.target);
    if (!target) {
        print_error("relay-test: not a HOST[:PORT]: " + a.target);
        return 2;
    }
    for (double s : {a.timeout, a.time_limit}) {
        if (!(s > 0)) {
            print_error("relay-test: --timeout and --time-limit must be positive");
            return 2;
        }
    }
    relaytest::Options& o = a.options;
    o.timeout = ms(a.timeout);
    o.time_limit = ms(a.time_limit);
    o.pause = ms(std::max(0.0, a.pause));
    o.retry_pause = ms(std::max(0.0, a.retry_pause));
    if (!a.vectors_file.empty()) {
        if (auto ec = util::read_file(a.vectors_file, o.vectors_text); ec) {
            print_error("relay-test: " + a.vectors_file + ": " + ec.message());
            return 2;
        }
    }
    std::random_device rd;
    if (std::string e = relaytest::resolve_defaults(o, "t" + std::to_string(rd() % 100000000));
        !e.empty()) {
        print_error("relay-test: " + e);
        return 2;
    }
    bool tty = isatty(STDERR_FILENO) == 1;
    if (tty) o.on_progress = show_progress;
    relaytest::Report report = relaytest::run(*target, o);
    if (tty) std::cerr << "\r\x1b[K" << std::flush;
    std::cout << (a.json ? relaytest::to_json(report) : relaytest::to_text(report));
    if (report.vectors.empty()) print_error("relay-test: " + report.reason);
    return report.exit_code();
}

}  // namespace

void add_relay_test(CLI::App& app, Command& cmd) {
    auto args = std::make_shared<RelayTestArgs>();
    CLI::App* sub = app.add_subcommand("relay-test", "Test a mail server for open relay");
    sub->add_option("target", args->target, "HOST[:PORT] to test (port 25 by default)")->required();
    sub->add_option("-c,--config", cmd.config_path,
                    "Configuration file (not needed by this command)");
    sub->add_flag("--json", args->json, "Print one JSON document");
    auto& o = args->options;
    sub->add_option("--from", o.from, "Envelope sender (default antispam@<to-domain>)");
    sub->add_option("--to", o.to,
                    "Outside recipient, a mailbox you read (default relaytest@<to-domain>)");
    sub->add_option(
        "--to-domain", o.to_domain,
        "External domain in the vectors (default: a random name under relay-test.invalid)");
    sub->add_option("--helo", o.helo, "Our HELO name (default: this host's name)");
    sub->add_option("--source", o.source, "Local address to connect from");
    sub->add_option("--timeout", args->timeout, "Seconds to wait for a connection or a reply")
        ->capture_default_str();
    sub->add_option("--time-limit", args->time_limit, "Seconds for the whole test")
        ->capture_default_str();
    sub->add_option("--pause", args->pause, "Seconds between sessions")->capture_default_str();
    sub->add_option("--retry-pause", args->retry_pause, "Seconds before --retry-4xx retries")
        ->capture_default_str();
    sub->add_flag("--deliver", o.deliver,
                  "Send a probe message (unique token) when RCPT is accepted");
    sub->add_flag("--transcript", o.transcript, "Show the whole SMTP conversation");
    sub->add_option("--max-vectors", o.max_vectors, "Run at most N vectors");
    sub->add_option("--errors-per-session", o.errors_per_session,
                    "Start a fresh session after N error replies in one (0 = never)")
        ->capture_default_str();
    sub->add_flag("--retry-4xx", o.retry_4xx, "Retry deferred (4xx) vectors once after a pause");
    sub->add_option("--vectors", args->vectors_file,
                    "Use this vectors file instead of the built-in battery");
    sub->callback([&cmd, args] { cmd.action = [args] { return run_relay_test(*args); }; });
}

}  // namespace holdfast::cli
