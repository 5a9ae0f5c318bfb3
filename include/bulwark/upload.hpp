// bulwark/upload.hpp: streaming multipart/form-data, safe file names, content checks, storage.
//
// What it does: MultipartDecoder turns a multipart/form-data body (RFC 7578, delimiters of
// RFC 2046 §5.1) into events, fed in pieces of any size; UploadSink streams file parts into
// temporary files in the upload folder while the body arrives; `check_content` accepts a file
// only if its extension AND its bytes (libmagic) are on the allowlist; `store` gives it a random
// name; `download_headers` makes the headers that serve it back inertly.
//
// Security model: the body, every header, name and file name in it are hostile. Every limit
// (body, parts, header count and bytes, text fields) is checked while streaming, so an
// oversized upload is refused (413) as soon as it passes the limit, its temporary files
// deleted, and no file is ever held whole in memory. The client's file name is used for display
// only (`secure_filename`, Werkzeug's rules); stored files get random names, mode 0600, created
// with O_EXCL in a folder the web server must not serve. A file whose bytes are not what its
// extension claims, an HTML/script polyglot, or an image over the pixel limit (decompression
// bomb) is refused with "File type not allowed". Downloads carry `attachment`, `nosniff` and
// `sandbox` so even a stored file that slipped through cannot run in the site's origin.
//
//     bulwark::upload::UploadSink sink(*boundary_from_content_type(content_type), {.folder = dir});
//     for (auto chunk : body_chunks) if (auto r = sink.feed(chunk); !r) return status(http_status(r.error()));
//     auto received = sink.finish();                         // Result<Received, Error>
//     auto* file = received->file("file");                   // nullptr: "No file part"
//     auto checked = check_content(*file, kImagesAndText);   // "File type not allowed" on error
//     auto stored = store(std::move(*file), *checked, user_id, dir);  // StoredFile for the database
#pragma once

#include <bulwark/result.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::upload {

// Error: why an upload was refused. http_status maps each code; error_message gives a safe text.
enum class Error {
    bad_content_type,     // 400: not multipart/form-data, or no valid boundary parameter
    malformed,            // 400: bytes after a delimiter are neither CRLF nor "--"
    no_final_boundary,    // 400: the body ended before the close delimiter
    header_too_large,     // 400: a part's header block is over max_header_bytes (or a line has no end)
    too_many_headers,     // 400: a part has more than max_headers header lines
    bad_header,           // 400: header syntax, CR/LF/NUL in a name or file name, bad filename*
    missing_disposition,  // 400: a part without `Content-Disposition: form-data; name=...`
    too_many_parts,       // 413: more parts than max_parts
    field_too_large,      // 413: a text field, or all text fields together, over their limit
    too_large,            // 413: the body is over max_body (MAX_CONTENT_LENGTH)
    io_error,             // 500: the temporary file could not be created or written
    type_not_allowed,     // 400: "File type not allowed" (extension, content, polyglot, pixels)
};
std::string_view error_name(Error e) noexcept;
int http_status(Error e) noexcept;
// error_message: the client-facing text ("File type not allowed" for type_not_allowed).
std::string_view error_message(Error e) noexcept;

// boundary_from_content_type reads the boundary of `multipart/form-data; boundary=...`:
// token or quoted-string, 1 to 70 characters of RFC 2046's bchars, no trailing space, given once.
Result<std::string, Error> boundary_from_content_type(std::string_view content_type);

struct MultipartLimits {
    std::size_t max_body = 16 * 1024 * 1024;   // every byte fed, preamble and epilogue included
    std::size_t max_parts = 1000;              // Werkzeug's max_form_parts
    std::size_t max_headers = 8;               // header lines per part
    std::size_t max_header_bytes = 8 * 1024;   // header block per part
};

// PartHeaders: what a part said about itself. `filename` is set when the part is a file
// (`filename` or `filename*` present, even empty); filename* (RFC 5987/6266) wins over filename.
struct PartHeaders {
    std::string name;
    std::optional<std::string> filename;       // UTF-8, as sent: display it via secure_filename
    std::string content_type;                  // the client's claim; never trusted for type checks
    std::vector<std::pair<std::string, std::string>> headers;  // all header lines, names lower-cased
};

// Event: one step of the decoder. `data` points into the decoder's buffer (or, after
// feed_borrowed, into the caller's bytes) and is valid until the next feed(); after
// feed_borrowed, only until the next next(). `part` until the next part_begin.
struct Event {
    enum class Kind { need_more, part_begin, data, part_end, done, error };
    Kind kind = Kind::need_more;
    const PartHeaders* part = nullptr;
    std::string_view data;
    Error error = Error::malformed;
};

// MultipartDecoder: feed(bytes) then call next() until it returns need_more; at the end of the
// body call finish() and drain next() again (it reports no_final_boundary if the close
// delimiter never came). Errors are sticky. Nested multipart bodies are data, not parsed.
// Not thread-safe; one decoder per request.
class MultipartDecoder {
public:
    MultipartDecoder(std::string_view boundary, MultipartLimits limits = {});
    ~MultipartDecoder();
    MultipartDecoder(MultipartDecoder&&) noexcept;
    MultipartDecoder& operator=(MultipartDecoder&&) noexcept;

    // feed appends bytes; too_large as soon as max_body is passed.
    Result<void, Error> feed(std::string_view bytes);
    // feed_borrowed is feed without the copy: the decoder reads `bytes` in place, so they must
    // stay valid and unchanged until next() returns need_more, done or error (or the next feed).
    // Only the few bytes left over then (less than a delimiter, or a partial header block) are
    // copied. The same events as feed, whatever the split.
    Result<void, Error> feed_borrowed(std::string_view bytes);
    void finish();
    Event next();
    std::size_t bytes_fed() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// UploadConfig: where and how much. The folder must exist and lie outside every served path.
struct UploadConfig {
    std::filesystem::path folder{};
    MultipartLimits multipart{};               // max_body is the request limit (16 MiB default)
    std::size_t max_field_bytes = 64 * 1024;   // one text field
    std::size_t max_fields_bytes = 1024 * 1024;  // all text fields together
    std::size_t max_files = 16;
};

// TempFile: a file in the upload folder, deleted on destruction unless released by store().
class TempFile {
public:
    TempFile() = default;
    explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {}
    TempFile(TempFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    TempFile& operator=(TempFile&& other) noexcept;
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile();
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path release() noexcept { return std::exchange(path_, {}); }

private:
    std::filesystem::path path_;
};

// ReceivedFile: a file part, on disk. `head` holds its first kHeadBytes for content checks.
struct ReceivedFile {
    static constexpr std::size_t kHeadBytes = 64 * 1024;
    std::string field_name;
    std::string filename;                      // the client's, UTF-8; "" means "No selected file"
    std::string client_content_type;
    std::uint64_t size = 0;
    std::string head;
    TempFile temp;
};

// Received: a parsed request. Text fields in order; files in order.
struct Received {
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<ReceivedFile> files;
    std::optional<std::string_view> field(std::string_view name) const;
    ReceivedFile* file(std::string_view name);
};

// UploadSink: a MultipartDecoder whose file parts go straight to temporary files (0600,
// O_EXCL|O_NOFOLLOW, random names from crypto::random_token). On any error every temporary
// file made so far is deleted before feed() returns.
class UploadSink {
public:
    UploadSink(std::string_view boundary, UploadConfig config);
    // An abandoned sink (a cut body, an early return) closes the file it was writing; the file
    // itself is removed with the ReceivedFile that owns its path.
    ~UploadSink();
    UploadSink(const UploadSink&) = delete;
    UploadSink& operator=(const UploadSink&) = delete;
    Result<void, Error> feed(std::string_view bytes);
    Result<Received, Error> finish();

private:
    Result<void, Error> drain();
    UploadConfig config_;
    MultipartDecoder decoder_;
    Received received_;
    std::optional<Error> failed_;
    int fd_ = -1;
    bool in_file_ = false;
    bool in_field_ = false;
    std::size_t fields_bytes_ = 0;
};

// receive: the whole body at once (tests, small bodies); streams it through an UploadSink.
Result<Received, Error> receive(std::string_view content_type, std::string_view body, const UploadConfig& config);

// secure_filename: Werkzeug's rules on every platform: NFKD + drop non-ASCII (a generated
// table, Unicode 14), `/` and `\` and whitespace runs to `_`, only [A-Za-z0-9_.-] kept, dots and
// underscores stripped at both ends, Windows device names (CON, NUL, COM1...) get a leading `_`.
// Invalid UTF-8 is dropped like non-ASCII. May return "": the caller must handle it.
std::string secure_filename(std::string_view untrusted_filename);

// AllowedType: an extension (lower case, no dot) and the MIME types libmagic may report for it.
struct AllowedType {
    std::string extension;
    std::vector<std::string> mime_types;
    std::string served_type;                   // Content-Type used when serving it back
};
struct ContentPolicy {
    std::vector<AllowedType> allowed;
    std::uint64_t max_pixels = 50'000'000;     // width * height from the image header
};
// reference_policy: the reference app's txt, pdf, png, jpg, jpeg, gif.
const ContentPolicy& reference_policy();

struct CheckedType {
    std::string display_name;                  // secure_filename of the client's name
    std::string content_type;                  // the type it will be served as
};
// check_content: extension allowlisted, libmagic's MIME type (first bytes) matches it, no HTML
// or script markers in the head (polyglots), images within max_pixels. type_not_allowed otherwise.
Result<CheckedType, Error> check_content(const ReceivedFile& file, const ContentPolicy& policy);
// sniff_mime_type: libmagic's MAGIC_MIME_TYPE for bytes ("" if libmagic fails).
std::string sniff_mime_type(std::string_view bytes);
// image_pixels: width*height from a PNG IHDR, GIF screen or JPEG SOF in `head`; nullopt when
// the head is not such an image or the header is cut short.
std::optional<std::uint64_t> image_pixels(std::string_view head);

// StoredFile: the metadata the app keeps in its database (owner, names, size, type).
struct StoredFile {
    std::string id;                            // random, base64url, 43 chars; also the file's name
    std::string owner;
    std::string display_name;
    std::uint64_t size = 0;
    std::string content_type;
};
// store moves a checked file to `folder/<random id>` (0600, fsync'd) and returns its metadata.
Result<StoredFile, Error> store(ReceivedFile&& file, const CheckedType& type, std::string_view owner,
                                const std::filesystem::path& folder);
// stored_path: the file for an id, or nullopt for an id that is not one store() could make
// (so a crafted id cannot walk out of the folder). Check the owner before serving it.
std::optional<std::filesystem::path> stored_path(const std::filesystem::path& folder, std::string_view id);
// download_headers: Content-Type, Content-Disposition attachment with RFC 6266 filename*,
// X-Content-Type-Options nosniff, Content-Security-Policy sandbox, Cache-Control private, no-store.
std::vector<std::pair<std::string, std::string>> download_headers(const StoredFile& file);

}  // namespace bulwark::upload
