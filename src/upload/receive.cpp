// UploadSink: decoder events to temporary files (file parts) and bounded strings (text fields).
#include <bulwark/crypto.hpp>
#include <bulwark/upload.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bulwark::upload {

TempFile& TempFile::operator=(TempFile&& other) noexcept {
    if (this != &other) {
        if (!path_.empty()) ::unlink(path_.c_str());
        path_ = std::exchange(other.path_, {});
    }
    return *this;
}

TempFile::~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

std::optional<std::string_view> Received::field(std::string_view name) const {
    for (const auto& [k, v] : fields)
        if (k == name) return std::string_view(v);
    return std::nullopt;
}

ReceivedFile* Received::file(std::string_view name) {
    for (auto& f : files)
        if (f.field_name == name) return &f;
    return nullptr;
}

namespace {

// A file part's pages are handed to the disk every kWritebackBytes (sync_file_range), so the
// final fsync does not wait for a whole large upload's worth of dirty pages.
constexpr std::uint64_t kWritebackBytes = 8 * 1024 * 1024;

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// create_temp makes a new, empty, private file: O_EXCL so an existing file (or a planted
// symlink) is never reused, O_NOFOLLOW for the same reason, 0600 so no other user reads it.
Result<std::pair<int, std::filesystem::path>, Error> create_temp(const std::filesystem::path& folder) {
    for (int attempt = 0; attempt < 4; ++attempt) {
        std::filesystem::path path = folder / (".upload-" + crypto::random_token(18));
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            ::fchmod(fd, 0600);  // whatever the umask said
            return std::pair{fd, path};
        }
        if (errno != EEXIST) break;
    }
    return Error::io_error;
}

}  // namespace

UploadSink::UploadSink(std::string_view boundary, UploadConfig config)
    : config_(std::move(config)), decoder_(boundary, config_.multipart) {}

UploadSink::~UploadSink() {
    if (fd_ >= 0) ::close(fd_);
}

Result<void, Error> UploadSink::drain() {
    for (;;) {
        Event e = decoder_.next();
        switch (e.kind) {
            case Event::Kind::need_more:
            case Event::Kind::done:
                return {};
            case Event::Kind::error:
                return e.error;
            case Event::Kind::part_begin:
                if (e.part->filename) {
                    if (received_.files.size() == config_.max_files) return Error::too_many_parts;
                    auto temp = create_temp(config_.folder);
                    if (!temp) return temp.error();
                    fd_ = temp->first;
                    ReceivedFile file;
                    file.field_name = e.part->name;
                    file.filename = *e.part->filename;
                    file.client_content_type = e.part->content_type;
                    file.temp = TempFile(temp->second);
                    received_.files.push_back(std::move(file));
                    in_file_ = true;
                } else {
                    fields_bytes_ += e.part->name.size();
                    if (fields_bytes_ > config_.max_fields_bytes) return Error::field_too_large;
                    received_.fields.emplace_back(e.part->name, std::string{});
                    in_field_ = true;
                }
                break;
            case Event::Kind::data:
                if (in_file_) {
                    ReceivedFile& file = received_.files.back();
                    if (file.head.size() < ReceivedFile::kHeadBytes)
                        file.head.append(e.data.substr(0, ReceivedFile::kHeadBytes - file.head.size()));
                    file.size += e.data.size();
                    if (!write_all(fd_, e.data)) return Error::io_error;
                    if (const std::uint64_t done = file.size / kWritebackBytes;
                        done != (file.size - e.data.size()) / kWritebackBytes) {
                        // Start writing the full blocks to disk now, without waiting: the fsync
                        // before the 201 then waits for the last few MiB, not the whole file.
                        ::sync_file_range(fd_, 0, static_cast<off_t>(done * kWritebackBytes),
                                          SYNC_FILE_RANGE_WRITE);
                    }
                } else if (in_field_) {
                    std::string& value = received_.fields.back().second;
                    fields_bytes_ += e.data.size();
                    if (value.size() + e.data.size() > config_.max_field_bytes ||
                        fields_bytes_ > config_.max_fields_bytes)
                        return Error::field_too_large;
                    value.append(e.data);
                }
                break;
            case Event::Kind::part_end:
                if (in_file_) {
                    int fd = std::exchange(fd_, -1);
                    bool ok = ::fsync(fd) == 0;  // the 201 means the file is on disk
                    ok = ::close(fd) == 0 && ok;
                    if (!ok) return Error::io_error;
                }
                in_file_ = in_field_ = false;
                break;
        }
    }
}

Result<void, Error> UploadSink::feed(std::string_view bytes) {
    if (failed_) return *failed_;
    // Borrowed: file data goes from `bytes` to the file with no copy; drain() runs the decoder
    // until it needs more, after which it holds no reference to `bytes`.
    auto r = decoder_.feed_borrowed(bytes);
    if (r) r = drain();
    if (!r) {
        // Refuse now, and leave nothing behind: the temp files go with received_.
        failed_ = r.error();
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
        received_ = Received{};
        return r;
    }
    return {};
}

Result<Received, Error> UploadSink::finish() {
    if (failed_) return *failed_;
    decoder_.finish();
    if (auto r = drain(); !r) {
        failed_ = r.error();
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
        received_ = Received{};
        return r.error();
    }
    return std::move(received_);
}

Result<Received, Error> receive(std::string_view content_type, std::string_view body, const UploadConfig& config) {
    auto boundary = boundary_from_content_type(content_type);
    if (!boundary) return boundary.error();
    if (body.size() > config.multipart.max_body) return Error::too_large;
    UploadSink sink(*boundary, config);
    // Fed in 64 KiB pieces, as a socket would, so the buffer stays small.
    constexpr std::size_t kChunk = 64 * 1024;
    for (std::size_t i = 0; i < body.size(); i += kChunk)
        if (auto r = sink.feed(body.substr(i, kChunk)); !r) return r.error();
    return sink.finish();
}

}  // namespace bulwark::upload
