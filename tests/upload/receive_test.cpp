#include <bulwark/upload.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

namespace bulwark::upload {
namespace {

namespace fs = std::filesystem;

// TempDir: a private folder per test, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "bulwark-upload-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::size_t count() const {
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator{}));
    }
};

const std::string kType = "multipart/form-data; boundary=xYz";

std::string file_part(const std::string& name, const std::string& filename, const std::string& content) {
    return "--xYz\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
           "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + "\r\n";
}
std::string field_part(const std::string& name, const std::string& value) {
    return "--xYz\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

TEST(Receive, FilesGoToPrivateTempFilesAndFieldsAreCollected) {
    TempDir dir;
    std::string content(300000, 'q');
    std::string body = field_part("csrf_token", "tok") + file_part("file", "a.txt", content) + "--xYz--\r\n";
    auto r = receive(kType, body, {.folder = dir.path});
    ASSERT_TRUE(r.ok()) << error_name(r.error());
    EXPECT_EQ(r->field("csrf_token"), "tok");
    ReceivedFile* f = r->file("file");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->filename, "a.txt");
    EXPECT_EQ(f->size, content.size());
    EXPECT_EQ(f->head.size(), ReceivedFile::kHeadBytes);
    struct stat st {};
    ASSERT_EQ(::stat(f->temp.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(static_cast<std::size_t>(st.st_size), content.size());
    EXPECT_EQ(dir.count(), 1u);
    r = Error::malformed;  // dropping the result deletes the temporary file
    EXPECT_EQ(dir.count(), 0u);
}

TEST(Receive, TooLargeIsReportedWhileStreamingAndTempFilesAreRemoved) {
    TempDir dir;
    auto boundary = boundary_from_content_type(kType);
    ASSERT_TRUE(boundary.ok());
    UploadConfig config{.folder = dir.path, .multipart = {.max_body = 1024 * 1024}};
    UploadSink sink(*boundary, config);
    ASSERT_TRUE(sink.feed("--xYz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n").ok());
    std::string chunk(64 * 1024, 'z');
    std::size_t fed = 0;
    Result<void, Error> r;
    while ((r = sink.feed(chunk)).ok()) {
        fed += chunk.size();
        ASSERT_LE(fed, 2u * 1024 * 1024) << "the limit was not enforced";
        EXPECT_EQ(dir.count(), 1u);  // the file is on disk, not in memory
    }
    EXPECT_EQ(r.error(), Error::too_large);
    EXPECT_EQ(http_status(r.error()), 413);
    EXPECT_LE(fed, 1024u * 1024);
    EXPECT_EQ(dir.count(), 0u);
    EXPECT_FALSE(sink.finish().ok());
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// A body cut off mid-file (the client went away) leaves neither a file nor an open descriptor
// once the sink is dropped without finish().
TEST(Receive, AbandonedSinkClosesItsFileAndRemovesIt) {
    TempDir dir;
    auto boundary = boundary_from_content_type(kType);
    ASSERT_TRUE(boundary.ok());
    const std::size_t before = open_fds();
    {
        UploadSink sink(*boundary, {.folder = dir.path});
        ASSERT_TRUE(sink.feed("--xYz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n").ok());
        ASSERT_TRUE(sink.feed(std::string(64 * 1024, 'z')).ok());
        EXPECT_EQ(dir.count(), 1u);
        EXPECT_EQ(open_fds(), before + 1);
    }
    EXPECT_EQ(open_fds(), before);
    EXPECT_EQ(dir.count(), 0u);
}

TEST(Receive, ErrorTable) {
    TempDir dir;
    const struct {
        const char* name;
        std::string content_type;
        std::string body;
        UploadConfig config;
        Error expected;
    } cases[] = {
        {"bad_content_type", "text/plain", "", {.folder = dir.path}, Error::bad_content_type},
        {"no_final_boundary", kType, file_part("file", "a.txt", "abc"), {.folder = dir.path}, Error::no_final_boundary},
        {"field_too_large", kType, field_part("a", std::string(100, 'x')) + "--xYz--",
         {.folder = dir.path, .max_field_bytes = 99}, Error::field_too_large},
        {"fields_total_too_large", kType, field_part("a", std::string(60, 'x')) + field_part("b", std::string(60, 'x')) + "--xYz--",
         {.folder = dir.path, .max_fields_bytes = 100}, Error::field_too_large},
        {"too_many_files", kType, file_part("f", "a", "1") + file_part("f", "b", "2") + "--xYz--",
         {.folder = dir.path, .max_files = 1}, Error::too_many_parts},
        {"body_too_large", kType, file_part("f", "a", std::string(2000, 'x')) + "--xYz--",
         {.folder = dir.path, .multipart = {.max_body = 1000}}, Error::too_large},
        {"missing_folder", kType, file_part("f", "a", "1") + "--xYz--", {.folder = dir.path / "nope"}, Error::io_error},
    };
    for (const auto& c : cases) {
        auto r = receive(c.content_type, c.body, c.config);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error(), c.expected) << c.name << ": " << error_name(r.error());
        EXPECT_EQ(dir.count(), 0u) << c.name << " left a file behind";
    }
}

TEST(Receive, EmptyFilenameIsKeptForNoSelectedFile) {
    TempDir dir;
    auto r = receive(kType, file_part("file", "", "") + "--xYz--", {.folder = dir.path});
    ASSERT_TRUE(r.ok());
    ASSERT_NE(r->file("file"), nullptr);
    EXPECT_EQ(r->file("file")->filename, "");
    EXPECT_EQ(r->file("other"), nullptr);
}

}  // namespace
}  // namespace bulwark::upload
