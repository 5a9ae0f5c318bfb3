// .env parsing with python-dotenv's rules, bounded and strict (docs/config.md, ".env").
//
// The parser walks the text once with a cursor and a line counter. Every entry ends at an
// end of line; anything it cannot read is an error carrying the line, so the app refuses to
// start instead of running with half a configuration.
#include <bulwark/config.hpp>

#include "names.hpp"

#include <string>

namespace bulwark::config {

std::string_view dotenv_error_name(DotenvErrorCode e) noexcept {
    switch (e) {
        case DotenvErrorCode::too_large: return "too_large";
        case DotenvErrorCode::bad_key: return "bad_key";
        case DotenvErrorCode::missing_equals: return "missing_equals";
        case DotenvErrorCode::unterminated_quote: return "unterminated_quote";
        case DotenvErrorCode::trailing_garbage: return "trailing_garbage";
        case DotenvErrorCode::nul_byte: return "nul_byte";
        case DotenvErrorCode::bad_expansion: return "bad_expansion";
    }
    return "unknown";
}

namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }
bool is_eol(char c) noexcept { return c == '\n' || c == '\r'; }

class Parser {
public:
    Parser(std::string_view text, const std::map<std::string, std::string>& environment,
           const DotenvLimits& limits)
        : text_(text), env_(environment), limits_(limits) {}

    Result<std::vector<DotenvEntry>, DotenvError> run() {
        if (text_.size() > limits_.max_file_bytes) return fail(DotenvErrorCode::too_large, 0);
        if (auto nul = text_.find('\0'); nul != std::string_view::npos) {
            return fail(DotenvErrorCode::nul_byte, line_of(nul));
        }
        if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // a UTF-8 byte order mark
        std::vector<DotenvEntry> entries;
        while (true) {
            skip_blanks();
            if (at_end()) break;
            if (is_eol(peek())) { eat_eol(); continue; }
            if (peek() == '#') { skip_to_eol(); continue; }
            if (entries.size() >= limits_.max_entries) return fail(DotenvErrorCode::too_large, line_);
            auto entry = parse_entry();
            if (!entry) return entry.error();
            defined_[entry->key] = entry->value;
            entries.push_back(std::move(*entry));
        }
        return entries;
    }

private:
    static Err<DotenvError> fail(DotenvErrorCode code, std::size_t line) {
        return Err{DotenvError{code, line}};
    }
    bool at_end() const noexcept { return pos_ >= text_.size(); }
    char peek() const noexcept { return text_[pos_]; }
    void skip_blanks() noexcept { while (!at_end() && is_blank(peek())) ++pos_; }
    void skip_to_eol() noexcept { while (!at_end() && !is_eol(peek())) ++pos_; }
    void eat_eol() noexcept {
        if (at_end()) return;
        if (peek() == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
    }
    std::size_t line_of(std::size_t offset) const noexcept {
        std::size_t line = 1;
        for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
            if (text_[i] == '\n' || (text_[i] == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) ++line;
        }
        return line;
    }

    Result<DotenvEntry, DotenvError> parse_entry() {
        const std::size_t start_line = line_;
        // `export ` prefix: the word followed by blanks; `export=1` is the key "export".
        if (text_.substr(pos_).starts_with("export") && pos_ + 6 < text_.size() &&
            is_blank(text_[pos_ + 6])) {
            pos_ += 6;
            skip_blanks();
        }
        const std::size_t key_start = pos_;
        while (!at_end() && detail::is_key_char(peek(), pos_ == key_start)) ++pos_;
        std::string key(text_.substr(key_start, pos_ - key_start));
        if (!detail::is_valid_key(key)) return fail(DotenvErrorCode::bad_key, start_line);
        skip_blanks();
        if (at_end() || is_eol(peek())) return fail(DotenvErrorCode::missing_equals, start_line);
        if (peek() != '=') return fail(DotenvErrorCode::bad_key, start_line);
        ++pos_;
        skip_blanks();

        std::string value;
        if (!at_end() && (peek() == '\'' || peek() == '"')) {
            auto quoted = parse_quoted(start_line);
            if (!quoted) return quoted.error();
            value = std::move(*quoted);
            skip_blanks();
            if (!at_end() && peek() == '#') skip_to_eol();
            if (!at_end() && !is_eol(peek())) return fail(DotenvErrorCode::trailing_garbage, line_);
        } else {
            const std::size_t begin = pos_;
            skip_to_eol();
            std::string_view raw = text_.substr(begin, pos_ - begin);
            // python-dotenv cuts `\s+#.*`: a '#' counts only after whitespace.
            for (std::size_t i = 1; i < raw.size(); ++i) {
                if (raw[i] == '#' && is_blank(raw[i - 1])) { raw = raw.substr(0, i); break; }
            }
            while (!raw.empty() && is_blank(raw.back())) raw.remove_suffix(1);
            if (raw.size() > limits_.max_value_bytes) return fail(DotenvErrorCode::too_large, start_line);
            auto expanded = expand(raw, start_line);
            if (!expanded) return expanded.error();
            value = std::move(*expanded);
        }
        if (value.size() > limits_.max_value_bytes) return fail(DotenvErrorCode::too_large, start_line);
        eat_eol();
        return DotenvEntry{std::move(key), std::move(value), start_line};
    }

    // parse_quoted reads '...' or "..." (may span lines) and decodes its escapes.
    Result<std::string, DotenvError> parse_quoted(std::size_t start_line) {
        const char quote = peek();
        ++pos_;
        std::string raw;
        while (true) {
            if (at_end()) return fail(DotenvErrorCode::unterminated_quote, start_line);
            char c = peek();
            if (c == quote) { ++pos_; break; }
            if (c == '\\' && pos_ + 1 < text_.size()) {
                raw += c;
                raw += text_[pos_ + 1];
                if (text_[pos_ + 1] == '\n') ++line_;
                pos_ += 2;
            } else {
                if (c == '\n' || (c == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n'))) ++line_;
                raw += c;
                ++pos_;
            }
            if (raw.size() > 2 * limits_.max_value_bytes) return fail(DotenvErrorCode::too_large, start_line);
        }
        if (quote == '\'') return decode_single(raw);
        // As python-dotenv: escapes are decoded first, then ${VAR} is expanded.
        return expand(decode_double(raw), start_line);
    }

    static std::string decode_single(std::string_view raw) {
        std::string out;
        out.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '\\' || raw[i + 1] == '\'')) {
                out += raw[++i];
            } else {
                out += raw[i];
            }
        }
        return out;
    }

    static std::string decode_double(std::string_view raw) {
        std::string out;
        out.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '\\' || i + 1 >= raw.size()) { out += raw[i]; continue; }
            char n = raw[i + 1];
            char decoded = 0;
            switch (n) {
                case '\\': decoded = '\\'; break;
                case '"': decoded = '"'; break;
                case '\'': decoded = '\''; break;
                case 'n': decoded = '\n'; break;
                case 't': decoded = '\t'; break;
                case 'r': decoded = '\r'; break;
                case 'a': decoded = '\a'; break;
                case 'b': decoded = '\b'; break;
                case 'f': decoded = '\f'; break;
                case 'v': decoded = '\v'; break;
                default: break;
            }
            if (decoded != 0) { out += decoded; ++i; } else { out += raw[i]; }
        }
        return out;
    }

    // expand replaces ${NAME} and ${NAME:-default}: the real environment first, then
    // earlier entries, else the default or "". One pass, results are not re-expanded, so
    // the output is bounded and no value can trigger anything but a map look-up.
    Result<std::string, DotenvError> expand(std::string_view raw, std::size_t line) {
        std::string out;
        std::size_t i = 0;
        while (i < raw.size()) {
            if (raw[i] != '$' || i + 1 >= raw.size() || raw[i + 1] != '{') { out += raw[i++]; continue; }
            auto close = raw.find('}', i + 2);
            if (close == std::string_view::npos) return fail(DotenvErrorCode::bad_expansion, line);
            std::string_view inner = raw.substr(i + 2, close - i - 2);
            std::string_view name = inner;
            std::string_view fallback;
            if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
                name = inner.substr(0, sep);
                fallback = inner.substr(sep + 2);
            }
            if (!detail::is_valid_key(name)) return fail(DotenvErrorCode::bad_expansion, line);
            std::string key(name);
            if (auto it = env_.find(key); it != env_.end()) {
                out += it->second;
            } else if (auto jt = defined_.find(key); jt != defined_.end()) {
                out += jt->second;
            } else {
                out += fallback;
            }
            if (out.size() > limits_.max_value_bytes) return fail(DotenvErrorCode::too_large, line);
            i = close + 1;
        }
        return out;
    }

    std::string_view text_;
    const std::map<std::string, std::string>& env_;
    const DotenvLimits& limits_;
    std::map<std::string, std::string> defined_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

}  // namespace

Result<std::vector<DotenvEntry>, DotenvError> parse_dotenv(
    std::string_view text, const std::map<std::string, std::string>& environment,
    const DotenvLimits& limits) {
    return Parser(text, environment, limits).run();
}

}  // namespace bulwark::config
