// Recovery codes: shown once, stored as SHA-256 hashes, single use (take + put back).
#include <bulwark/auth.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bulwark::auth {
namespace json = boost::json;

namespace {
constexpr std::size_t kCodeBytes = 10;  // 80 bits, 16 base32 characters
constexpr std::size_t kCodeChars = 16;
constexpr std::size_t kMaxCodes = 64;

std::string user_part(std::string_view user_id) {
    const auto digest = crypto::sha256(crypto::as_bytes(user_id));
    return crypto::hex_encode(crypto::ByteView(digest.data(), 16));
}

std::string code_hash(std::string_view user_id, std::string_view normalized) {
    std::string m(user_id);
    m.push_back('\0');
    m.append(normalized);
    return crypto::hex_encode(crypto::sha256(crypto::as_bytes(m)));
}

// normalize: upper case, dashes and spaces dropped; must leave 16 base32 characters.
std::optional<std::string> normalize(std::string_view code) {
    if (code.size() > 64) return std::nullopt;
    std::string out;
    for (char c : code) {
        if (c == '-' || c == ' ') continue;
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) return std::nullopt;
        out.push_back(c);
    }
    if (out.size() != kCodeChars) return std::nullopt;
    return out;
}

std::vector<std::string> parse_hashes(std::string_view text) {
    std::vector<std::string> out;
    if (text.size() > kMaxCodes * 80) return out;
    json::error_code ec;
    json::value v;
    try {
        v = json::parse(text, ec);
    } catch (const std::exception&) {
        return out;
    }
    if (ec || !v.is_array()) return out;
    for (const json::value& h : v.as_array())
        if (h.is_string() && h.as_string().size() == 64) out.emplace_back(h.as_string());
    return out;
}
}  // namespace

RecoveryCodes::RecoveryCodes(std::shared_ptr<store::Store> store, std::string key_prefix)
    : store_(std::move(store)), prefix_(std::move(key_prefix)) {
    if (!store_) throw std::invalid_argument("auth::RecoveryCodes: no store");
}

Result<std::vector<std::string>, store::StoreError> RecoveryCodes::generate(std::string_view user_id,
                                                                          std::size_t count) const {
    count = std::min(std::max<std::size_t>(count, 1), kMaxCodes);
    std::vector<std::string> codes;
    json::array hashes;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string raw = base32_encode(crypto::random_bytes(kCodeBytes));
        hashes.emplace_back(code_hash(user_id, raw));
        codes.push_back(raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4) + "-" + raw.substr(12, 4));
    }
    auto stored = store_->set(prefix_ + user_part(user_id), json::serialize(hashes), store::Ttl{0});
    if (!stored) return stored.error();
    return codes;
}

Result<bool, store::StoreError> RecoveryCodes::use(std::string_view user_id, std::string_view untrusted_code) const {
    auto code = normalize(untrusted_code);
    if (!code) return false;
    const std::string key = prefix_ + user_part(user_id);
    // take: while we hold the list nobody else can spend a code from it.
    auto taken = store_->take(key);
    if (!taken) return taken.error();
    if (!*taken) return false;
    std::vector<std::string> hashes = parse_hashes(**taken);
    const std::string presented = code_hash(user_id, *code);
    bool found = false;
    json::array rest;
    for (const std::string& h : hashes) {
        if (!found && crypto::equal(h, presented)) {
            found = true;
            continue;
        }
        rest.emplace_back(h);
    }
    if (!rest.empty()) {
        auto put = store_->set(key, json::serialize(rest), store::Ttl{0});
        if (!put) return put.error();
    }
    return found;
}

Result<std::size_t, store::StoreError> RecoveryCodes::remaining(std::string_view user_id) const {
    auto got = store_->get(prefix_ + user_part(user_id));
    if (!got) return got.error();
    if (!*got) return std::size_t{0};
    return parse_hashes(**got).size();
}

}  // namespace bulwark::auth
