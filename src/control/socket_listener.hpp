#pragma once
// A unix socket served by one thread, one connection after another: the
// control socket and the submit socket share it (private to control/).
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <thread>

namespace holdfast::control::detail {

class SocketListener {
  public:
    // `name` prefixes the log lines ("control", "submit"); the socket file
    // gets `mode`.
    SocketListener(std::string name, std::filesystem::path path, mode_t mode)
        : name_(std::move(name)), path_(std::move(path)), mode_(mode) {}
    ~SocketListener() { stop(); }
    SocketListener(const SocketListener&) = delete;
    SocketListener& operator=(const SocketListener&) = delete;

    // Binds (a socket file already there is replaced) and serves: `serve`
    // gets each accepted connection, closed after it returns.
    std::error_code start(std::function<void(int fd)> serve);
    void stop();  // idempotent; removes the socket file
    const std::filesystem::path& path() const { return path_; }
    bool running() const { return thread_.joinable(); }

  private:
    void run();

    const std::string name_;
    const std::filesystem::path path_;
    const mode_t mode_;
    std::function<void(int fd)> serve_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};  // stop() writes to wake_[1] to end run()
    std::thread thread_;
};

// Is a live process answering on `path`? (A stale socket file refuses.)
bool someone_listens(const std::filesystem::path& path);

}  // namespace holdfast::control::detail
