// Body files: a large message's bytes in body/<ID> instead of in its log
// record (docs/queue-format.md, "Body files"). The session streams them to
// disk as they arrive; the body thread makes each file durable (fdatasync,
// then one fsync of body/ for the batch) before the message's M record is
// appended, so the 250 still means "on disk". The file is removed once the
// message's D record is durable.
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "mail/queue_id.hpp"
#include "queue/record.hpp"
#include "queue/spool.hpp"
#include "util/file.hpp"

namespace holdfast::queue {

namespace fs = std::filesystem;
using segment::RecordType;

BodyFile::~BodyFile() {
    if (kept_) return;
    fd_.reset();
    ::unlink(path_.c_str());
}

std::error_code BodyFile::write(std::string_view bytes) {
    if (ec_) return ec_;
    if ((ec_ = posix::write_all(fd_.get(), bytes))) return ec_;
    size_ += bytes.size();
    return {};
}

std::error_code BodyFile::read(std::uint64_t offset, std::size_t max, std::string& out) const {
    out.clear();
    if (offset >= size_) return {};
    out.resize(std::min<std::uint64_t>(max, size_ - offset));
    std::size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::pread(fd_.get(), out.data() + got, out.size() - got,
                            static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return posix::last_error();
        if (n == 0) return Errc::corrupt;
        got += static_cast<std::size_t>(n);
    }
    return {};
}

std::error_code BodyFile::replace_head(std::size_t old_length, std::string_view head) {
    if (ec_) return ec_;
    if (old_length > size_) return Errc::corrupt;
    fs::path next = path_;
    next += ".edit";  // not a queue id: recovery's sweep removes one a crash left
    posix::UniqueFd fd(::open(next.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return posix::last_error();
    auto fail = [&](std::error_code e) {
        ::unlink(next.c_str());
        return e;
    };
    if (auto e = posix::write_all(fd.get(), head)) return fail(e);
    loff_t from = static_cast<loff_t>(old_length);
    std::size_t left = size_ - old_length;
    while (left > 0) {
        ssize_t n = ::copy_file_range(fd_.get(), &from, fd.get(), nullptr, left, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(posix::last_error());
        if (n == 0) return fail(Errc::corrupt);
        left -= static_cast<std::size_t>(n);
    }
    if (::rename(next.c_str(), path_.c_str()) != 0) return fail(posix::last_error());
    size_ = size_ - old_length + head.size();
    fd_ = std::move(fd);
    if (::lseek(fd_.get(), 0, SEEK_END) < 0) return ec_ = posix::last_error();
    return {};
}

std::unique_ptr<BodyFile> Spool::create_body(const std::string& id, std::error_code& ec) {
    ec.clear();
    if (!mail::is_valid_queue_id(id)) {
        ec = Errc::bad_queue_id;
        return nullptr;
    }
    fs::path path = body_dir() / id;
    posix::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
        ec = posix::last_error();
        return nullptr;
    }
    return std::unique_ptr<BodyFile>(new BodyFile(std::move(path), std::move(fd)));
}

void Spool::store(Envelope env, std::unique_ptr<BodyFile> body,
                  std::function<void(std::error_code)> done) {
    if (!mail::is_valid_queue_id(env.id) || !body || body->path_.filename() != env.id) {
        if (done) done(Errc::bad_queue_id);
        return;
    }
    if (body->ec_) {
        if (done) done(body->ec_);
        return;
    }
    {
        std::lock_guard lock(body_mu_);
        if (!body_stopping_) {
            body_queue_.push_back(BodySync{std::move(env), std::move(body), std::move(done)});
            body_cv_.notify_one();
            return;
        }
    }
    if (done) done(Errc::shutting_down);
}

void Spool::body_loop() {
    std::vector<BodySync> batch;
    for (;;) {
        {
            std::unique_lock lock(body_mu_);
            body_cv_.wait(lock, [this] { return body_stopping_ || !body_queue_.empty(); });
            if (body_queue_.empty()) return;  // stopping, and every body is through
            batch.swap(body_queue_);
        }
        std::vector<std::error_code> result(batch.size());
        bool any = false;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (::fdatasync(batch[i].body->fd_.get()) != 0) {
                result[i] = posix::last_error();
            } else {
                any = true;
            }
        }
        // The files' names, made durable once for the whole batch.
        std::error_code dir_ec = any ? util::fsync_directory(body_dir()) : std::error_code{};
        for (std::size_t i = 0; i < batch.size(); ++i) {
            BodySync& b = batch[i];
            std::error_code ec = result[i] ? result[i] : dir_ec;
            if (ec) {
                spdlog::error("id={} status=store-failed error=\"body file: {}\"", b.env.id,
                              ec.message());
                if (b.done) b.done(ec);
                continue;  // ~BodyFile removes the file
            }
            b.body->kept_ = true;  // from here a refused record leaves an orphan for sweep_bodies
            b.body->fd_.reset();
            b.env.size = b.body->head_.size() + b.body->size();
            b.env.body_file = true;
            b.env.next_attempt = {};
            b.env.warned = b.env.held = false;
            std::string head = record::envelope_json(b.env);
            head += '\n';
            std::string id = b.env.id;
            Op op = make_op(RecordType::message, std::move(id), std::move(head),
                            std::move(b.body->head_), std::move(b.done));
            op.env = std::move(b.env);
            enqueue(std::move(op));
        }
        batch.clear();
    }
}

Spool::Op Spool::make_done(const std::string& id, bool body_file) {
    Op op = make_op(RecordType::done, id, id);
    op.body_file = body_file;
    return op;
}

std::error_code Spool::read_body(const std::string& id, std::uint64_t offset, std::size_t size,
                                 std::string& out) const {
    posix::UniqueFd fd(::open((body_dir() / id).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? make_error_code(Errc::corrupt) : posix::last_error();
    out.resize(size);
    std::size_t got = 0;
    while (got < size) {
        ssize_t n =
            ::pread(fd.get(), out.data() + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return posix::last_error();
        if (n == 0) return Errc::corrupt;
        got += static_cast<std::size_t>(n);
    }
    return {};
}

void Spool::remove_body(const std::string& id) {
    if (::unlink((body_dir() / id).c_str()) != 0 && errno != ENOENT) {
        spdlog::error("spool: removing body file of id={} failed: {}", id,
                      posix::last_error().message());
    }
}

// After recovery: a body file no queued message refers to is from a session
// that never got its 250, or from a message whose D record is durable but
// whose file was not removed yet when the process died.
void Spool::sweep_bodies() {
    std::error_code ec;
    std::size_t swept = 0;
    for (fs::directory_iterator it(body_dir(), ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        auto e = index_.find(std::string_view(name));
        if (e != index_.end() && !e->second.removed && e->second.body_file) continue;
        ::unlink(it->path().c_str());
        ++swept;
    }
    if (swept) spdlog::info("spool: removed {} body files no message refers to", swept);
}

}  // namespace holdfast::queue
