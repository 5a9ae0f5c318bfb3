// `bulwark create-user USERNAME --email E`: an account in the reference app's users table,
// under the same rules as POST /register (username, email, password policy), hashed with
// argon2id. The password is read without echo from a terminal (asked twice) or as one line
// from stdin, never from the command line, where `ps` and the shell history would keep it.
#include "cli.hpp"

#include <bulwark/crypto.hpp>
#include <bulwark/form.hpp>
#include <bulwark/password.hpp>

#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace bulwark::cli {
namespace {

// WipedString clears a password's bytes when it goes out of scope, on every return path.
struct WipedString {
    std::string value;
    ~WipedString() { crypto::wipe(value.data(), value.size()); }
};

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

bool valid_username(std::string_view u) noexcept {
    if (u.size() < 3 || u.size() > 20) return false;
    for (char c : u)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

int create_user(const Flags& flags, const UserFlags& user) {
    // Checked before anything is opened or asked, so a typo costs nothing.
    if (!valid_username(user.username)) {
        std::fprintf(stderr, "bulwark: the username must be 3 to 20 letters, digits or underscores\n");
        return 1;
    }
    if (!form::is_valid_email(user.email)) {
        std::fprintf(stderr, "bulwark: --email is not a valid email address\n");
        return 1;
    }
    const Config config = load_config(flags);
    auto database = open_migrated(config);
    if (!database) return 1;
    auto taken = database->one<std::int64_t>("SELECT id FROM users WHERE username = ?", user.username);
    if (!taken) throw std::runtime_error("user lookup: " + std::string(taken.error().message()));
    if (*taken) {
        std::fprintf(stderr, "bulwark: the username %s is already taken\n", user.username.c_str());
        return 1;
    }

    WipedString password;
    {
        auto read = password::read_password("Password: ");
        if (!read) {
            std::fprintf(stderr, "\nbulwark: could not read a password: %s\n",
                         std::string(password::error_name(read.error())).c_str());
            return 1;
        }
        password.value = std::move(*read);
    }
    if (isatty(STDIN_FILENO) == 1) {
        std::fprintf(stderr, "\n");
        WipedString again;
        auto read = password::read_password("Repeat the password: ");
        std::fprintf(stderr, "\n");
        if (read) again.value = std::move(*read);
        if (!read || !crypto::equal(password.value, again.value)) {
            std::fprintf(stderr, "bulwark: the passwords differ; nothing was created\n");
            return 1;
        }
    }
    const auto problems = password::check_policy(password.value, {.username = user.username, .email = user.email});
    if (!problems.empty()) {
        for (const auto& problem : problems) std::fprintf(stderr, "bulwark: password refused: %s\n", problem.c_str());
        return 1;
    }
    auto hashed = password::hash(password.value);
    if (!hashed) {
        std::fprintf(stderr, "bulwark: %s\n", std::string(password::error_name(hashed.error())).c_str());
        return 1;
    }
    auto id = database->insert_returning_id(
        "INSERT INTO users (username, email, age, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        user.username, user.email, std::optional<std::int64_t>(), *hashed, now_unix());
    if (!id) {
        // Another process may have taken the name between the check and the insert.
        if (id.error() == db::ErrorCode::unique_violation) {
            std::fprintf(stderr, "bulwark: the username %s is already taken\n", user.username.c_str());
            return 1;
        }
        throw std::runtime_error("cannot create the user: " + std::string(id.error().message()));
    }
    std::printf("created user %s (id %lld)\n", user.username.c_str(), static_cast<long long>(*id));
    return 0;
}

}  // namespace bulwark::cli
