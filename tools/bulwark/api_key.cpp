// `bulwark api-key create|list|revoke`: the reference app's API keys (GET /api/data), kept in
// its database as HMACs only (apikey::Registry with the SECRET_KEY's api_key subkeys, as the
// app builds it). The key is printed once, alone on stdout, so `KEY=$(bulwark api-key create
// --name ci)` captures it; everything else goes to stderr. Nothing prints a secret or a hash.
#include "cli.hpp"

#include <bulwark/apikey.hpp>

#include <charconv>
#include <ctime>

#include "app_state.hpp"

namespace bulwark::cli {
namespace {

namespace ak = apikey;

constexpr std::int64_t kMaxExpiryDays = 3650;
// An API key made without --user speaks for a machine client, not for a user account.
constexpr std::string_view kServiceOwner = "service";

ak::Registry make_registry(const Config& config, db::Database database) {
    return ak::Registry(reference::detail::make_key_repository(std::move(database)),
                        config.key_ring().subkeys(crypto::Purpose::api_key));
}

bool valid_scope(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-'))
            return false;
    return true;
}

std::optional<std::vector<std::string>> parse_scopes(std::string_view text) {
    std::vector<std::string> scopes;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!valid_scope(item)) return std::nullopt;
        scopes.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
        if (text.empty()) return std::nullopt;  // a trailing comma
    }
    if (scopes.empty() || scopes.size() > 32) return std::nullopt;
    return scopes;
}

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (c < 0x20 || c > 0x7E) return false;
    return true;
}

bool valid_id(std::string_view id) {
    if (id.size() != ak::kIdLength) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

}  // namespace

std::optional<std::optional<std::chrono::seconds>> parse_duration(std::string_view text) {
    if (text == "never") return std::optional<std::chrono::seconds>();
    if (text.size() < 2 || text.size() > 8 || text.front() == '0') return std::nullopt;
    std::int64_t count = 0;
    const auto digits = text.substr(0, text.size() - 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc() || end != digits.data() + digits.size() || count <= 0) return std::nullopt;
    std::int64_t unit = 0;
    switch (text.back()) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
    }
    if (count > kMaxExpiryDays * 86400 / unit) return std::nullopt;
    return std::optional<std::chrono::seconds>(std::chrono::seconds(count * unit));
}

int api_key_create(const Flags& flags, const ApiKeyFlags& key) {
    if (!valid_name(key.name)) {
        std::fprintf(stderr, "bulwark: --name must be 1 to 64 printable ASCII characters\n");
        return 1;
    }
    auto scopes = parse_scopes(key.scopes);
    if (!scopes) {
        std::fprintf(stderr, "bulwark: --scopes must be a comma-separated list of 1 to 32 scopes, each 1 to 64 of "
                             "[a-z0-9:._-]\n");
        return 1;
    }
    auto ttl = parse_duration(key.expires_in);
    if (!ttl) {
        std::fprintf(stderr, "bulwark: --expires-in must be a count with a unit s, m, h or d (such as 90d), at most "
                             "3650d, or `never`\n");
        return 1;
    }
    if (!key.user.empty() && !valid_username(key.user)) {
        std::fprintf(stderr, "bulwark: --user must be a username: 3 to 20 letters, digits or underscores\n");
        return 1;
    }
    const Config config = load_config(flags);
    auto database = open_migrated(config);
    if (!database) return 1;
    if (!key.user.empty()) {
        auto found = database->one<std::int64_t>("SELECT id FROM users WHERE username = ?", key.user);
        if (!found) throw std::runtime_error("user lookup: " + std::string(found.error().message()));
        if (!*found) {
            std::fprintf(stderr, "bulwark: no user is named %s (create it with `bulwark create-user`)\n",
                         key.user.c_str());
            return 1;
        }
    }
    auto registry = make_registry(config, *database);
    auto created = registry.create({.name = key.name,
                                    .owner = key.user.empty() ? std::string(kServiceOwner) : key.user,
                                    .scopes = *scopes,
                                    .ttl = *ttl});
    if (!created) {
        std::fprintf(stderr, "bulwark: cannot create the key: %s\n", std::string(ak::error_name(created.error())).c_str());
        return 1;
    }
    std::printf("%s\n", created->key.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "created API key %s (%s) for %s, scopes %s, expires %s\n", created->record.id.c_str(),
                 key.name.c_str(), created->record.owner.c_str(), join(created->record.scopes).c_str(),
                 format_time(created->record.expires_at).c_str());
    std::fprintf(stderr, "Store it now: it is shown once and kept only as a hash. Send it as the %s header.\n",
                 std::string(ak::kHeader).c_str());
    return 0;
}

int api_key_list(const Flags& flags) {
    const Config config = load_config(flags);
    auto database = open_migrated(config);
    if (!database) return 1;
    auto keys = make_registry(config, *database).list();
    if (!keys) {
        std::fprintf(stderr, "bulwark: cannot list the keys: %s\n", std::string(ak::error_name(keys.error())).c_str());
        return 1;
    }
    std::printf("%-12s  %-20s  %-20s  %-20s  %-20s  %-20s  %-20s  %s\n", "ID", "NAME", "OWNER", "SCOPES", "CREATED",
                "EXPIRES", "LAST USED", "REVOKED");
    for (const auto& k : *keys) {
        std::printf("%-12s  %-20s  %-20s  %-20s  %-20s  %-20s  %-20s  %s\n", printable(k.id).c_str(),
                    printable(k.name).c_str(), printable(k.owner).c_str(), printable(join(k.scopes)).c_str(),
                    format_time(k.created_at).c_str(), k.expires_at ? format_time(k.expires_at).c_str() : "never",
                    format_time(k.last_used_at).c_str(), format_time(k.revoked_at).c_str());
    }
    std::fprintf(stderr, "%zu key%s\n", keys->size(), keys->size() == 1 ? "" : "s");
    return 0;
}

int api_key_revoke(const Flags& flags, const ApiKeyFlags& key) {
    if (!valid_id(key.id)) {
        // Never echo the argument: it may be a whole key pasted by mistake.
        std::fprintf(stderr, "bulwark: an API key id is the 12 letters and digits after bk_, as `bulwark api-key "
                             "list` shows\n");
        return 1;
    }
    const Config config = load_config(flags);
    auto database = open_migrated(config);
    if (!database) return 1;
    auto repository = reference::detail::make_key_repository(*database);
    auto found = repository->find(key.id);
    if (!found) throw std::runtime_error("the key lookup failed");
    if (!*found) {
        std::fprintf(stderr, "bulwark: no API key has the id %s\n", key.id.c_str());
        return 1;
    }
    if ((*found)->revoked_at) {
        std::printf("API key %s was already revoked at %s\n", key.id.c_str(), format_time((*found)->revoked_at).c_str());
        return 0;
    }
    auto revoked = make_registry(config, *database).revoke(key.id);
    if (!revoked) {
        std::fprintf(stderr, "bulwark: cannot revoke %s: %s\n", key.id.c_str(),
                     std::string(ak::error_name(revoked.error())).c_str());
        return 1;
    }
    std::printf("revoked API key %s (%s)\n", key.id.c_str(), printable((*found)->name).c_str());
    return 0;
}

}  // namespace bulwark::cli
