// The development key: made once, kept in the instance folder with mode 0600, refused if
// anyone else could read it. (Production never reads this file: it needs SECRET_KEY.)
#include "secret_file.hpp"

#include <bulwark/config.hpp>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bulwark::config::detail {

namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;
constexpr const char* kKeyFileName = "secret_key";

[[noreturn]] void fail(const std::string& message) { throw ConfigError("config: " + message); }

std::string errno_text(int err) { return std::strerror(err); }

std::string mode_text(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { if (fd_ >= 0) ::close(fd_); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { int f = fd_; fd_ = -1; return f; }

private:
    int fd_;
};

// read_key_file returns the key, or nullopt if the file does not exist.
std::optional<crypto::SecretBytes> read_key_file(const std::filesystem::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot open the development key " + path.string() + ": " + errno_text(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("cannot stat " + path.string() + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) fail(path.string() + " is not a regular file");
    if (st.st_uid != ::geteuid()) fail(path.string() + " is owned by another user; refusing to use it");
    if ((st.st_mode & 077) != 0) {
        fail(path.string() + " has group/other permissions (mode " + mode_text(st.st_mode) +
             "); run `chmod 600 " + path.string() + "` or delete it to make a new key");
    }
    char buf[kMaxKeyFileBytes + 1];
    std::size_t len = 0;
    while (len < sizeof buf) {
        ssize_t n = ::read(fd.get(), buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot read " + path.string() + ": " + errno_text(errno));
        if (n == 0) break;
        len += static_cast<std::size_t>(n);
    }
    std::string_view text(buf, len);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    const bool too_long = len > kMaxKeyFileBytes;
    const bool too_short = text.size() < kMinSecretBytes;
    crypto::SecretBytes key(text);
    crypto::wipe(buf, sizeof buf);
    if (too_long) fail(path.string() + " is larger than 4 KiB; it is not a key file");
    if (too_short) {
        fail(path.string() + " holds fewer than 32 bytes; delete it to make a new key");
    }
    return key;
}

void write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write " + path.string() + ": " + errno_text(errno));
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void ensure_instance_dir(const std::filesystem::path& dir, std::vector<std::string>& warnings) {
    if (dir.empty()) fail("BULWARK_INSTANCE_DIR is empty");
    std::filesystem::path partial;
    for (const auto& part : dir) {
        partial /= part;
        if (part == "/" || part.empty()) continue;
        if (::mkdir(partial.c_str(), 0700) == 0) continue;
        if (errno != EEXIST) fail("cannot create the instance folder " + partial.string() + ": " + errno_text(errno));
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        fail("the instance folder " + dir.string() + " is not a directory");
    }
    if ((st.st_mode & 077) != 0) {
        warnings.push_back("the instance folder " + dir.string() + " is accessible to group/other (mode " +
                           mode_text(st.st_mode) + "); chmod 700 is recommended");
    }
}

crypto::SecretBytes load_or_create_dev_key(const std::filesystem::path& dir) {
    const auto path = dir / kKeyFileName;
    if (auto key = read_key_file(path)) return std::move(*key);

    std::string token = crypto::random_token(32);
    token += '\n';
    const auto tmp = dir / (".secret_key." + crypto::random_token(9) + ".tmp");
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (fd.get() < 0) fail("cannot create " + tmp.string() + ": " + errno_text(errno));
        write_all(fd.get(), token, tmp);
        if (::fsync(fd.get()) != 0) fail("cannot sync " + tmp.string() + ": " + errno_text(errno));
        if (::close(fd.release()) != 0) fail("cannot close " + tmp.string() + ": " + errno_text(errno));
    }
    crypto::wipe(token.data(), token.size());
    // link() never replaces: if another process made the key first, theirs stands.
    const int linked = ::link(tmp.c_str(), path.c_str());
    const int link_errno = errno;
    ::unlink(tmp.c_str());
    if (linked != 0 && link_errno != EEXIST) {
        fail("cannot create " + path.string() + ": " + errno_text(link_errno));
    }
    if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);  // make the new name durable; best effort
        ::close(dfd);
    }
    auto key = read_key_file(path);
    if (!key) fail(path.string() + " vanished while it was being created");
    return std::move(*key);
}

}  // namespace bulwark::config::detail
