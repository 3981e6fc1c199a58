#pragma once
// Test-only: a scripted SMTP server on 127.0.0.1 (ephemeral port) in a
// thread, plain sockets and OpenSSL. `answer` gets each command line
// ("CONNECT" for the banner, "." for the end of data) and returns the reply
// bytes; "" closes the connection, "-" stays silent. After "STARTTLS"
// answered with 220 the connection turns TLS.
// Connections are served in parallel, so `answer` must be thread-safe.
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace holdfast::smtp::client::test {

class Peer {
  public:
    using Answer = std::function<std::string(const std::string& line)>;

    // port 0: an ephemeral port; else that port (a peer that "comes back").
    explicit Peer(Answer answer, std::uint16_t port = 0) : answer_(std::move(answer)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd_, 16);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        make_tls();
        thread_ = std::thread([this] { serve(); });
    }
    ~Peer() {
        stop_ = true;
        thread_.join();
        for (auto& t : sessions_) t.join();
        ::close(fd_);
        SSL_CTX_free(ctx_);
    }
    std::uint16_t port() const { return port_; }
    // Every read as it arrived (to see what went out in one write).
    std::vector<std::string> chunks() {
        std::lock_guard l(mu_);
        return chunks_;
    }
    std::vector<std::string> data() {  // each DATA payload as received, still dot-stuffed
        std::lock_guard l(mu_);
        return data_;
    }
    int connections() const { return connections_; }
    bool tls_used() const { return tls_used_; }

  private:
    void make_tls() {
        EVP_PKEY* key = EVP_EC_gen("P-256");
        X509* x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, key);
        X509_NAME* n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("peer.test"), -1, -1, 0);
        X509_set_issuer_name(x, n);
        X509_sign(x, key, EVP_sha256());
        ctx_ = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(ctx_, x);
        SSL_CTX_use_PrivateKey(ctx_, key);
        X509_free(x);
        EVP_PKEY_free(key);
    }

    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) continue;
            ++connections_;
            // A thread per connection, as a real server: a connection kept
            // open for reuse must not hold up the next one.
            sessions_.emplace_back([this, c] {
                session(c);
                ::close(c);
            });
        }
    }

    bool send(int c, SSL* ssl, const std::string& s) {
        if (ssl) return SSL_write(ssl, s.data(), static_cast<int>(s.size())) > 0;
        return ::send(c, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
    }

    // Reads with a short poll so that the destructor is never kept waiting.
    int receive(int c, SSL* ssl, char* buf, int size) {
        while (!stop_) {
            if (ssl && SSL_pending(ssl) > 0) return SSL_read(ssl, buf, size);
            pollfd p{c, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            return ssl ? SSL_read(ssl, buf, size) : static_cast<int>(::recv(c, buf, size, 0));
        }
        return 0;
    }

    void session(int c) {
        SSL* ssl = nullptr;
        std::string in, payload;
        bool in_data = false;
        auto reply = [&](const std::string& line) {
            std::string r = answer_(line);
            if (r == "-") return true;
            if (r.empty()) return false;
            if (!send(c, ssl, r)) return false;
            if (line == "STARTTLS" && r.rfind("220", 0) == 0) {
                ssl = SSL_new(ctx_);
                SSL_set_fd(ssl, c);
                if (SSL_accept(ssl) != 1) return false;
                tls_used_ = true;
            }
            return true;
        };
        bool open = reply("CONNECT");
        char buf[65536];
        while (open && !stop_) {
            int n = receive(c, ssl, buf, sizeof buf);
            if (n <= 0) break;
            {
                std::lock_guard l(mu_);
                chunks_.emplace_back(buf, n);
            }
            in.append(buf, n);
            std::size_t eol;
            while (open && (eol = in.find("\r\n")) != std::string::npos) {
                std::string line = in.substr(0, eol);
                in.erase(0, eol + 2);
                if (in_data) {
                    if (line != ".") {
                        payload += line + "\r\n";
                        continue;
                    }
                    in_data = false;
                    {
                        std::lock_guard l(mu_);
                        data_.push_back(payload);
                    }
                    payload.clear();
                    open = reply(".");
                    continue;
                }
                std::string r = answer_(line);
                if (line == "DATA" && r.rfind("354", 0) == 0) in_data = true;
                if (r == "-") continue;
                if (r.empty()) {
                    open = false;
                    break;
                }
                open = send(c, ssl, r);
                if (open && line == "STARTTLS" && r.rfind("220", 0) == 0) {
                    ssl = SSL_new(ctx_);
                    SSL_set_fd(ssl, c);
                    open = SSL_accept(ssl) == 1;
                    tls_used_ = open;
                    in.clear();
                }
            }
        }
        if (ssl) SSL_free(ssl);
    }

    Answer answer_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    SSL_CTX* ctx_ = nullptr;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::atomic<bool> tls_used_{false};
    std::mutex mu_;
    std::vector<std::string> chunks_;
    std::vector<std::string> data_;
    std::vector<std::thread> sessions_;  // only the accepting thread adds to it
    std::thread thread_;                 // last: started after everything above exists
};

}  // namespace holdfast::smtp::client::test
