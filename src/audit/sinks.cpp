// sinks.cpp: stderr, an append-only file that logrotate can move, syslog, and memory.
#include <bulwark/audit.hpp>

#include <cerrno>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

namespace bulwark::audit {
namespace {

// write_all writes the line with one write(2) when it can; O_APPEND makes that write land
// whole at the end of the file even with other processes appending. A short write (disk
// full, a signal) is finished in a loop and counted as a failure if it cannot be.
bool write_all(int fd, std::string_view line) noexcept {
    while (!line.empty()) {
        const ssize_t n = ::write(fd, line.data(), line.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        line.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

class FdSink final : public Sink {
public:
    FdSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    ~FdSink() override {
        if (!path_.empty() && fd_ >= 0) ::close(fd_);
    }

    void write(Level, std::string_view line) noexcept override {
        std::lock_guard lock(mutex_);  // one writer at a time: also orders writes and reopen
        if (!write_all(fd_, line)) failures_.fetch_add(1, std::memory_order_relaxed);
    }

    Result<void, SinkError> reopen() override {
        if (path_.empty()) return SinkError::not_reopenable;
        const int fd = open_log(path_);
        if (fd < 0) return SinkError::open_failed;  // keep writing to the old file
        std::lock_guard lock(mutex_);
        ::close(fd_);
        fd_ = fd;
        return {};
    }

    static int open_log(const std::string& path) noexcept {
        // 0600: the security log names users and addresses; only the service reads it.
        return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    }

private:
    std::mutex mutex_;
    int fd_;
    std::string path_;  // empty for stderr, which is not ours to close or reopen
};

class SyslogSink final : public Sink {
public:
    explicit SyslogSink(std::string ident) : ident_(std::move(ident)) {
        // openlog keeps the pointer, so ident_ lives as long as the sink.
        ::openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
    }
    ~SyslogSink() override { ::closelog(); }

    void write(Level level, std::string_view line) noexcept override {
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        const int priority = level == Level::info ? LOG_INFO : level == Level::warn ? LOG_WARNING : LOG_CRIT;
        // "%.*s": the line is data, never a format string.
        ::syslog(LOG_AUTHPRIV | priority, "%.*s", static_cast<int>(line.size()), line.data());
    }

private:
    std::string ident_;
};

}  // namespace

std::shared_ptr<Sink> stderr_sink() { return std::make_shared<FdSink>(STDERR_FILENO, std::string()); }

Result<std::shared_ptr<Sink>, SinkError> file_sink(std::string path) {
    const int fd = FdSink::open_log(path);
    if (fd < 0) return SinkError::open_failed;
    return std::shared_ptr<Sink>(std::make_shared<FdSink>(fd, std::move(path)));
}

std::shared_ptr<Sink> syslog_sink(std::string ident) { return std::make_shared<SyslogSink>(std::move(ident)); }

void MemorySink::write(Level, std::string_view line) noexcept {
    try {
        std::lock_guard lock(mutex_);
        if (max_lines_ == 0) return;
        if (lines_.size() >= max_lines_) lines_.erase(lines_.begin());
        lines_.emplace_back(line);
    } catch (...) {
        failures_.fetch_add(1, std::memory_order_relaxed);
    }
}

std::vector<std::string> MemorySink::lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
}

void MemorySink::clear() {
    std::lock_guard lock(mutex_);
    lines_.clear();
}

}  // namespace bulwark::audit
