#pragma once
// A throw-away PostgreSQL cluster for tests (TESTING.md): initdb into a
// temporary directory as a non-root user, postgres on a unix socket there,
// no TCP, fsync off. Ready in about 1-2 s. Each database() is a new, empty
// database in it. available() is false (tests skip) without Debian's
// postgresql-15 binaries.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "store/database.hpp"

namespace holdfast::store::testing {

class PostgresCluster {
  public:
    static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

    PostgresCluster() {
        if (!std::filesystem::exists(std::string(kBin) + "/initdb")) return;
        char tmpl[] = "/tmp/holdfast-pg-XXXXXX";
        if (!mkdtemp(tmpl)) return;
        dir_ = tmpl;
        std::string user = getuid() == 0 ? "nobody" : "";
        if (!user.empty()) {
            if (passwd* pw = getpwnam(user.c_str())) {
                if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return;
            }
        }
        std::string as = user.empty() ? "" : "runuser -u " + user + " -- ";
        std::string initdb = as + kBin + "/initdb -D " + dir_ + "/data -A trust -U holdfast" +
                             " >" + dir_ + "/initdb.log 2>&1";
        if (std::system(initdb.c_str()) != 0) return;
        // postgres itself runs as `user` (fork, setuid, exec: SIGINT then
        // reaches it directly, which runuser would not pass on).
        std::string postgres = std::string(kBin) + "/postgres";
        std::vector<std::string> args = {postgres};
        for (std::string a : {"-D", "DATA", "-k", "DIR", "-c", "listen_addresses=", "-c",
                              "fsync=off", "-c", "full_page_writes=off"}) {
            args.push_back(a == "DATA" ? dir_ + "/data" : a == "DIR" ? dir_ : a);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::string log = dir_ + "/postgres.log";
        passwd* pw = user.empty() ? nullptr : getpwnam(user.c_str());
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            if (pw && (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)) _exit(127);
            execv(argv[0], argv.data());
            _exit(127);
        }
        if (pid_ <= 0) return;
        for (int i = 0; i < 200; ++i) {
            try {
                admin_ = open_postgresql(uri("postgres"));
                return;
            } catch (const std::exception&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
    }

    ~PostgresCluster() {
        admin_.reset();
        if (pid_ > 0) {
            kill(pid_, SIGINT);
            int status = 0;
            waitpid(pid_, &status, 0);
        }
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    bool available() const { return admin_ != nullptr; }
    std::string uri(const std::string& db) const {
        return "postgresql://holdfast@/" + db + "?host=" + dir_;
    }
    // A new empty database; its URI.
    std::string database() {
        std::string name = "t" + std::to_string(++count_);
        admin_->script("CREATE DATABASE " + name);
        return uri(name);
    }

  private:
    std::string dir_;
    pid_t pid_ = -1;
    std::unique_ptr<Connection> admin_;
    int count_ = 0;
};

}  // namespace holdfast::store::testing
