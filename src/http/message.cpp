// Headers, cookies, requests and responses: the plain types handlers see.
#include <bulwark/http.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bulwark {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// decode_path percent-decodes once. An encoded slash stays encoded so that "/a%2Fb" can
// never match the route "/a/b"; NUL and malformed escapes make the target invalid.
std::optional<std::string> decode_path(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size()) return std::nullopt;
            const int hi = hex_value(raw[i + 1]);
            const int lo = hex_value(raw[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            const char decoded = static_cast<char>(hi << 4 | lo);
            if (decoded == '\0') return std::nullopt;
            if (decoded == '/') {
                out.append(raw.substr(i, 3));
            } else {
                out += decoded;
            }
            i += 2;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return std::nullopt;
        } else {
            out += c;
        }
    }
    return out;
}

// has_cr_lf_or_nul checks sixteen bytes at a time with SSE2, or eight (a word has a zero byte
// when (w - 0x01..) & ~w & 0x80.. is not zero; XOR first turns CR or LF into zero). The tail
// is one more load that overlaps the last block instead of a byte loop, and a short value is
// two overlapping words: a response's dozen security headers are checked on every response,
// and most of their names and values end in a partial block.
bool has_cr_lf_or_nul(std::string_view s) noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    const auto zero_byte = [](std::uint64_t w) { return (w - kOnes) & ~w & kHighs; };
    const auto word_hit = [&](const char* at) {
        std::uint64_t w;
        std::memcpy(&w, at, sizeof w);
        return (zero_byte(w) | zero_byte(w ^ (kOnes * '\r')) | zero_byte(w ^ (kOnes * '\n'))) != 0;
    };
    const char* p = s.data();
    const std::size_t n = s.size();
    if (n >= 16) {
#if defined(__SSE2__)
        const __m128i cr = _mm_set1_epi8('\r');
        const __m128i lf = _mm_set1_epi8('\n');
        const __m128i nul = _mm_setzero_si128();
        const auto block_hit = [&](const char* at) {
            const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
            const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, cr), _mm_cmpeq_epi8(w, lf)),
                                             _mm_cmpeq_epi8(w, nul));
            return _mm_movemask_epi8(hit) != 0;
        };
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16)
            if (block_hit(p + i)) return true;
        return i < n && block_hit(p + n - 16);
#else
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8)
            if (word_hit(p + i)) return true;
        return i < n && word_hit(p + n - 8);
#endif
    }
    if (n >= 8) return word_hit(p) || word_hit(p + n - 8);
    // Under eight bytes: the value padded with spaces (never a hit) into one word.
    std::array<char, 8> padded;
    padded.fill(' ');
    if (n > 0) std::memcpy(padded.data(), p, n);
    return word_hit(padded.data());
}

bool is_token_char(char c) noexcept {
    if (c <= 0x20 || c >= 0x7f) return false;
    return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

bool is_cookie_value_char(char c) noexcept {
    // RFC 6265 cookie-octet: no controls, whitespace, DQUOTE, comma, semicolon or backslash.
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

bool is_attribute_char(char c) noexcept {
    return c >= 0x20 && c != 0x7f && c != ';';
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

HeaderBlock::HeaderBlock(std::vector<Field> fields) : fields_(std::move(fields)) {
    std::size_t size = 0;
    for (const auto& [name, value] : fields_) {
        if (has_cr_lf_or_nul(name) || has_cr_lf_or_nul(value))
            throw std::invalid_argument("header contains CR, LF or NUL");
        size += name.size() + value.size() + 4;
    }
    head_lines_.reserve(size);
    for (const auto& [name, value] : fields_) {
        head_lines_.append(name);
        head_lines_.append(": ");
        head_lines_.append(value);
        head_lines_.append("\r\n");
    }
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
    for (const auto& [key, value] : fields_)
        if (iequals(key, name)) return std::string_view(value);
    if (block_)
        for (const auto& [key, value] : block_->fields())
            if (iequals(key, name)) return std::string_view(value);
    return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const noexcept {
    const auto named = [&](const Field& f) { return iequals(f.first, name); };
    auto n = static_cast<std::size_t>(std::count_if(fields_.begin(), fields_.end(), named));
    if (block_) n += static_cast<std::size_t>(std::count_if(block_->fields().begin(), block_->fields().end(), named));
    return n;
}

void Headers::set(std::string_view name, std::string_view value) {
    remove(name);
    add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
    // A CR or LF in a header would let one header smuggle another (response splitting).
    if (has_cr_lf_or_nul(name) || has_cr_lf_or_nul(value))
        throw std::invalid_argument("header contains CR, LF or NUL");
    fields_.emplace_back(std::string(name), std::string(value));
}

void Headers::remove(std::string_view name) {
    unshare();
    std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
}

void Headers::add_block(std::shared_ptr<const HeaderBlock> block) {
    if (!block || block->fields().empty()) return;
    // The head is written as the unshared fields, then the block, and fields() keeps that order;
    // one block at a time, so an earlier one is copied in first.
    unshare();
    block_ = std::move(block);
}

const std::vector<Headers::Field>& Headers::fields() const {
    unshare();
    return fields_;
}

const std::vector<Headers::Field> Headers::kNoFields;

void Headers::unshare() const {
    if (!block_) return;
    fields_.insert(fields_.end(), block_->fields().begin(), block_->fields().end());
    block_.reset();
}

std::string Cookie::serialize() const {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
        throw std::invalid_argument("cookie name is not a token");
    if (!std::all_of(value.begin(), value.end(), is_cookie_value_char))
        throw std::invalid_argument("cookie value has a character outside cookie-octet");
    if (!std::all_of(path.begin(), path.end(), is_attribute_char) ||
        !std::all_of(domain.begin(), domain.end(), is_attribute_char))
        throw std::invalid_argument("cookie attribute has a forbidden character");
    // The __Host- prefix promises Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
    if (name.rfind("__Host-", 0) == 0 && (!secure || path != "/" || !domain.empty()))
        throw std::invalid_argument("__Host- cookie needs Secure, Path=/ and no Domain");
    if (name.rfind("__Secure-", 0) == 0 && !secure)
        throw std::invalid_argument("__Secure- cookie needs Secure");
    if (same_site == SameSite::none && !secure)
        throw std::invalid_argument("SameSite=None needs Secure");
    std::string out = name + "=" + value;
    if (!path.empty()) out += "; Path=" + path;
    if (!domain.empty()) out += "; Domain=" + domain;
    if (max_age) {
        out += "; Max-Age=" + std::to_string(std::max<long long>(0, max_age->count()));
        if (max_age->count() <= 0) out += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    }
    if (secure) out += "; Secure";
    if (http_only) out += "; HttpOnly";
    switch (same_site) {
        case SameSite::lax: out += "; SameSite=Lax"; break;
        case SameSite::strict: out += "; SameSite=Strict"; break;
        case SameSite::none: out += "; SameSite=None"; break;
    }
    return out;
}

Request::Request(std::string method, std::string target, Headers headers, std::string body)
    : method_(std::move(method)),
      target_(std::move(target)),
      headers_(std::move(headers)),
      body_(std::move(body)) {
    // Origin-form only ("/path?query"); absolute-form and authority-form are for proxies.
    if (target_.empty() || target_[0] != '/') {
        target_valid_ = (method_ == "OPTIONS" && target_ == "*");
        path_ = target_;
        return;
    }
    const auto question = target_.find('?');
    std::string_view raw_path = std::string_view(target_).substr(0, question);
    if (question != std::string::npos) query_ = target_.substr(question + 1);
    if (auto decoded = decode_path(raw_path)) {
        path_ = std::move(*decoded);
    } else {
        target_valid_ = false;
        path_.assign(1, '/');  // not = "/": GCC 12 -O3 warns falsely (stringop-overflow) on that
    }
    if (!query_.empty() && !boost::urls::parse_query(query_)) target_valid_ = false;
}

std::optional<std::string> Request::query(std::string_view name) const {
    auto parsed = boost::urls::parse_query(query_);
    if (!parsed) return std::nullopt;
    // application/x-www-form-urlencoded rules: '+' is a space (WHATWG URL standard).
    const boost::urls::encoding_opts opts(/*space_as_plus=*/true);
    for (auto param : *parsed) {
        if (param.key.decode(opts) == name) return param.has_value ? param.value.decode(opts) : std::string();
    }
    return std::nullopt;
}

std::optional<std::string_view> Request::cookie(std::string_view name) const {
    for (const auto& [key, header] : headers_.fields()) {
        if (!iequals(key, "cookie")) continue;
        std::string_view rest = header;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            std::string_view pair = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
            while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            if (pair.substr(0, eq) != name) continue;
            std::string_view value = pair.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return value;
        }
    }
    return std::nullopt;
}

std::string_view Request::param(std::string_view name) const noexcept {
    for (const auto& [key, value] : params_)
        if (key == name) return value;
    return {};
}

Response::Response(int status, std::string body, std::string content_type)
    : status_(status), body_(std::move(body)) {
    if (!content_type.empty()) headers_.set("Content-Type", content_type);
}

Response Response::text(std::string body, int status) {
    return Response(status, std::move(body), "text/plain; charset=utf-8");
}
Response Response::html(std::string body, int status) {
    return Response(status, std::move(body), "text/html; charset=utf-8");
}
Response Response::json(std::string json_text, int status) {
    return Response(status, std::move(json_text), "application/json");
}
Response Response::redirect(std::string location, int status) {
    Response r(status, "", "");
    r.headers().set("Location", location);
    return r;
}
Response Response::file(std::string path, std::string content_type) {
    Response r(200, "", std::move(content_type));
    r.file_path_ = std::move(path);
    return r;
}
Response Response::empty(int status) { return Response(status, "", ""); }

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

}  // namespace bulwark
