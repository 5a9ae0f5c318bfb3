// parse.cpp: the Flask-Limiter limit grammar.
//   limits := item (sep item)*        sep := ';' | ',' | '|'
//   item   := amount ws* ("per" | "/") ws* [multiple ws*] unit ["s"]
// Case-insensitive; a bad item is refused with a message naming it, never guessed at.
#include <bulwark/ratelimit.hpp>

#include <cctype>
#include <charconv>
#include <stdexcept>

namespace bulwark::ratelimit {
namespace {

constexpr std::int64_t kMaxAmount = 1'000'000'000;
constexpr std::int64_t kMaxPeriodMs = std::int64_t{30} * 360 * 24 * 3600 * 1000;  // 30 years

struct UnitName {
    std::string_view name;
    Unit unit;
    std::int64_t ms;
};
constexpr UnitName kUnits[] = {
    {"second", Unit::second, 1000},
    {"minute", Unit::minute, 60'000},
    {"hour", Unit::hour, 3'600'000},
    {"day", Unit::day, 86'400'000},
    {"month", Unit::month, std::int64_t{30} * 86'400'000},
    {"year", Unit::year, std::int64_t{360} * 86'400'000},
};

std::int64_t unit_ms(Unit u) {
    for (const auto& n : kUnits)
        if (n.unit == u) return n.ms;
    return 60'000;
}

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}
    void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    bool done() const { return i_ >= s_.size(); }
    bool number(std::int64_t& out, std::int64_t max) {
        std::size_t start = i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (start == i_ || i_ - start > 12) return false;
        std::int64_t v = 0;
        std::from_chars(s_.data() + start, s_.data() + i_, v);
        if (v <= 0 || v > max) return false;
        out = v;
        return true;
    }
    bool peek_digit() const { return i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])); }
    bool literal(std::string_view word) {  // case-insensitive
        if (s_.size() - i_ < word.size()) return false;
        for (std::size_t k = 0; k < word.size(); ++k)
            if (std::tolower(static_cast<unsigned char>(s_[i_ + k])) != word[k]) return false;
        i_ += word.size();
        return true;
    }
    std::string_view word() {
        std::size_t start = i_;
        while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
        return s_.substr(start, i_ - start);
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 80)) out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : '?');
    return out;
}

ParseFailure fail(ParseError code, std::string_view item, std::string_view why) {
    return ParseFailure{code, "rate limit \"" + printable(item) + "\": " + std::string(why) +
                                  " (write it like \"5 per minute\", \"100/hour\" or \"10 per 5 minutes\")"};
}

Result<Limit, ParseFailure> parse_item(std::string_view item) {
    Cursor c(item);
    c.skip_space();
    if (c.done()) return fail(ParseError::empty, item, "empty limit");
    Limit l;
    if (!c.number(l.amount, kMaxAmount)) return fail(ParseError::bad_amount, item, "the count must be 1 to 1000000000");
    c.skip_space();
    if (!c.literal("/") && !c.literal("per")) return fail(ParseError::bad_separator, item, "expected \"per\" or \"/\"");
    c.skip_space();
    if (c.peek_digit()) {
        if (!c.number(l.multiples, kMaxAmount)) return fail(ParseError::bad_multiple, item, "the window must be 1 or more units");
        c.skip_space();
    }
    std::string_view w = c.word();
    std::string lower;
    for (char ch : w) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    if (lower.size() > 1 && lower.back() == 's') lower.pop_back();
    bool found = false;
    for (const auto& u : kUnits) {
        if (lower == u.name) {
            l.unit = u.unit;
            found = true;
        }
    }
    if (!found) return fail(ParseError::bad_unit, item, "unknown unit (use second, minute, hour, day, month or year)");
    c.skip_space();
    if (!c.done()) return fail(ParseError::trailing, item, "unexpected text after the unit");
    if (l.multiples > kMaxPeriodMs / unit_ms(l.unit)) return fail(ParseError::bad_multiple, item, "the window is over 30 years");
    return l;
}

}  // namespace

std::chrono::milliseconds Limit::period() const noexcept {
    return std::chrono::milliseconds{multiples * unit_ms(unit)};
}

std::string Limit::text() const {
    std::string name;
    for (const auto& u : kUnits)
        if (u.unit == unit) name = u.name;
    std::string out = std::to_string(amount) + " per ";
    if (multiples != 1) out += std::to_string(multiples) + " ";
    out += name;
    if (multiples != 1) out += "s";
    return out;
}

Result<std::vector<Limit>, ParseFailure> parse(std::string_view text) {
    if (text.size() > kMaxLimitText)
        return ParseFailure{ParseError::too_long, "rate limit string is over 1024 bytes"};
    std::vector<Limit> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = text.find_first_of(";,|", start);
        std::string_view item = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        auto l = parse_item(item);
        if (!l) return l.error();
        if (out.size() == kMaxLimits)
            return ParseFailure{ParseError::too_long, "more than 16 rate limits in one string"};
        out.push_back(*l);
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

std::vector<Limit> parse_or_throw(std::string_view text) {
    auto r = parse(text);
    if (!r) throw std::invalid_argument(r.error().message);
    return std::move(r).value();
}

}  // namespace bulwark::ratelimit
