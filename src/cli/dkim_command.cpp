// holdfast dkim keygen DOMAIN SELECTOR [--type rsa|ed25519] [--out FILE]:
// writes a new private key (PEM, mode 0600, never over an existing file)
// and prints the DNS TXT record that publishes it (docs/authentication.md).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "cli/command.hpp"
#include "dkim/key.hpp"
#include "mail/address.hpp"
#include "util/strings.hpp"

namespace holdfast::cli {
namespace {

struct KeygenArgs {
    std::string domain, selector, type = "rsa", out;
};

int keygen(const KeygenArgs& a) {
    auto type = dkim::parse_key_type(a.type);
    if (!type) {
        print_error("--type must be rsa or ed25519");
        return 64;
    }
    if (!mail::is_valid_domain(a.domain) || !mail::is_valid_domain(a.selector + "." + a.domain)) {
        print_error("\"" + a.selector + "._domainkey." + a.domain + "\" is not a domain name");
        return 64;
    }
    std::string error;
    auto key = dkim::PrivateKey::generate(*type, error);
    if (!key) {
        print_error(error);
        return 1;
    }
    const std::string path = a.out.empty() ? a.selector + ".private" : a.out;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        print_error(path + ": " + std::strerror(errno) +
                    (errno == EEXIST ? " (an existing key is never overwritten)" : ""));
        return 1;
    }
    const std::string pem = key->pem();
    bool ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    ok = ::fsync(fd) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        print_error(path + ": write failed");
        ::unlink(path.c_str());
        return 1;
    }
    std::cerr << "holdfast: wrote " << dkim::key_type_name(*type) << " key " << path
              << "; publish this record, then add [[dkim]] domain = \"" << a.domain
              << "\", selector = \"" << a.selector << "\", key = \"" << path << "\"\n";
    std::cout << dkim::dns_record(a.selector, util::ascii_lower(a.domain), *key) << "\n";
    return 0;
}

}  // namespace

void add_dkim(CLI::App& app, Command& cmd) {
    CLI::App* sub = app.add_subcommand("dkim", "DKIM keys");
    sub->require_subcommand(1);
    sub->add_option("-c,--config", cmd.config_path, "Configuration file")->capture_default_str();
    auto args = std::make_shared<KeygenArgs>();
    CLI::App* gen = sub->add_subcommand("keygen", "Make a signing key and print its DNS record");
    gen->add_option("domain", args->domain, "Signing domain (d=)")->required();
    gen->add_option("selector", args->selector, "Selector (s=)")->required();
    gen->add_option("--type", args->type, "rsa (2048 bits) or ed25519")->capture_default_str();
    gen->add_option("--out", args->out, "Private key file (default SELECTOR.private)");
    gen->callback([&cmd, args] { cmd.action = [args] { return keygen(*args); }; });
}

}  // namespace holdfast::cli
