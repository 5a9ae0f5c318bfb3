// store, stored_path and download_headers: random names, private files, inert downloads.
#include <bulwark/crypto.hpp>
#include <bulwark/upload.hpp>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bulwark::upload {
namespace {

constexpr std::size_t kIdLength = 43;  // 32 random bytes in unpadded base64url

bool fsync_dir(const std::filesystem::path& folder) {
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

Result<StoredFile, Error> store(ReceivedFile&& file, const CheckedType& type, std::string_view owner,
                                const std::filesystem::path& folder) {
    if (file.temp.path().empty()) return Error::io_error;
    std::string id = crypto::random_token();
    std::filesystem::path target = folder / id;
    // RENAME_NOREPLACE: never overwrite a stored file, even in the impossible id collision.
    if (::renameat2(AT_FDCWD, file.temp.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0)
        return Error::io_error;
    file.temp.release();
    ::chmod(target.c_str(), 0600);
    if (!fsync_dir(folder)) {
        ::unlink(target.c_str());
        return Error::io_error;
    }
    return StoredFile{std::move(id), std::string(owner), type.display_name, file.size, type.content_type};
}

std::optional<std::filesystem::path> stored_path(const std::filesystem::path& folder, std::string_view id) {
    if (id.size() != kIdLength) return std::nullopt;
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return std::nullopt;
    }
    return folder / std::string(id);
}

std::vector<std::pair<std::string, std::string>> download_headers(const StoredFile& file) {
    std::string name = file.display_name.empty() ? "download" : file.display_name;
    // The quoted fallback must be plain ASCII without quotes or backslashes; secure_filename
    // names already are, anything else is replaced.
    std::string fallback;
    for (char c : name) {
        bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
        fallback.push_back(safe ? c : '_');
    }
    // RFC 8187 attr-char stays, every other byte is percent-encoded.
    std::string encoded;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : name) {
        bool attr = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
        if (attr) {
            encoded.push_back(static_cast<char>(c));
        } else {
            encoded.push_back('%');
            encoded.push_back(kHex[c >> 4]);
            encoded.push_back(kHex[c & 15]);
        }
    }
    return {
        {"Content-Type", file.content_type.empty() ? "application/octet-stream" : file.content_type},
        {"Content-Disposition", "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded},
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Security-Policy", "sandbox; default-src 'none'"},
        {"Cache-Control", "private, no-store"},
    };
}

}  // namespace bulwark::upload
