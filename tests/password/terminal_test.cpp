#include <bulwark/password.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

namespace bulwark::password {
namespace {

// with_stdin runs read_password with stdin replaced by a pipe holding `input`.
Result<std::string, Error> with_stdin(const std::string& input) {
    int fds[2];
    if (pipe(fds) != 0) return Error::internal;
    const int saved = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    std::thread writer([&] {
        std::size_t off = 0;
        while (off < input.size()) {
            const ssize_t n = write(fds[1], input.data() + off, input.size() - off);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        close(fds[1]);
    });
    auto r = read_password();
    writer.join();
    dup2(saved, STDIN_FILENO);
    close(saved);
    return r;
}

TEST(ReadPassword, FromStdin) {
    const struct {
        const char* name;
        std::string input;
        std::optional<std::string> want;
        Error error;
    } cases[] = {
        {"line", "s3cret passphrase\nrest", "s3cret passphrase", Error::internal},
        {"crlf", "s3cret passphrase\r\n", "s3cret passphrase", Error::internal},
        {"no_newline", "s3cret", "s3cret", Error::internal},
        {"empty_line", "\n", "", Error::internal},
        {"eof", "", std::nullopt, Error::internal},
        {"too_long", std::string(kMaxPasswordBytes + 10, 'a') + "\n", std::nullopt, Error::password_too_long},
        {"invalid_utf8", "abc\xff\n", std::nullopt, Error::invalid_password},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = with_stdin(c.input);
        if (c.want) {
            ASSERT_TRUE(r) << error_name(r.error());
            EXPECT_EQ(*r, *c.want);
        } else {
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error(), c.error);
        }
    }
}

}  // namespace
}  // namespace bulwark::password
