// value.cpp: reading column values as C++ types, and the time point encodings.
//
// Time points: SQLite stores INTEGER microseconds since the Unix epoch (exact, sortable,
// no time zone); PostgreSQL receives ISO-8601 UTC text for a timestamptz column and
// answers text with an offset. Reading accepts both forms on both backends.
#include <bulwark/db.hpp>

#include <charconv>
#include <cstdio>

namespace bulwark::db {

std::string_view Row::column_name(std::size_t index) const {
    return names_ && index < names_->size() ? std::string_view((*names_)[index]) : std::string_view();
}

std::optional<std::size_t> Row::column_index(std::string_view name) const noexcept {
    if (!names_) return std::nullopt;
    for (std::size_t i = 0; i < names_->size(); ++i)
        if ((*names_)[i] == name) return i;
    return std::nullopt;
}

bool Row::is_null(std::size_t index) const noexcept {
    return index >= values_.size() || std::holds_alternative<std::monostate>(values_[index]);
}

const Value& Row::raw(std::size_t index) const { return values_.at(index); }

namespace detail {
namespace {

DbError mismatch(const char* what) { return DbError(ErrorCode::type_mismatch, what); }

template <class N>
std::optional<N> parse_number(std::string_view text) {
    N out{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return out;
}

// parse_digits reads exactly n digits at text[at].
std::optional<int> parse_digits(std::string_view text, std::size_t at, std::size_t n) {
    if (at + n > text.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

}  // namespace

std::int64_t to_micros(TimePoint t) noexcept {
    return std::chrono::floor<std::chrono::microseconds>(t).time_since_epoch().count();
}

// format_time_utc: "YYYY-MM-DD HH:MM:SS.ffffff+00" (PostgreSQL timestamptz input).
std::string format_time_utc(std::int64_t micros) {
    using namespace std::chrono;
    const sys_time<microseconds> t{microseconds(micros)};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<microseconds> tod{t - day};
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%06lld+00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                  static_cast<int>(tod.seconds().count()), static_cast<long long>(tod.subseconds().count()));
    return buf;
}

// parse_time: YYYY-MM-DD[T| ]HH:MM:SS[.f{1,9}][Z|(+|-)HH[[:]MM]]; no zone means UTC.
std::optional<TimePoint> parse_time(std::string_view s) {
    using namespace std::chrono;
    if (s.size() < 19 || s.size() > 64) return std::nullopt;
    auto y = parse_digits(s, 0, 4), mo = parse_digits(s, 5, 2), d = parse_digits(s, 8, 2);
    auto h = parse_digits(s, 11, 2), mi = parse_digits(s, 14, 2), se = parse_digits(s, 17, 2);
    if (!y || !mo || !d || !h || !mi || !se || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':' || *h > 23 || *mi > 59 || *se > 60)
        return std::nullopt;
    // system_clock counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11. Years outside
    // [1678, 2261] would overflow the conversion (found by the fuzzer), so they are refused.
    if (*y < 1678 || *y > 2261) return std::nullopt;
    const year_month_day ymd{year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
    if (!ymd.ok()) return std::nullopt;
    std::size_t i = 19;
    std::int64_t frac = 0;
    if (i < s.size() && s[i] == '.') {
        std::size_t digits = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits)
            if (digits < 6) frac = frac * 10 + (s[i] - '0');
        if (digits == 0 || digits > 9) return std::nullopt;
        for (; digits < 6; ++digits) frac *= 10;
    }
    std::int64_t offset_minutes = 0;
    if (i < s.size()) {
        if (s[i] == 'Z' && i + 1 == s.size()) {
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            const int sign = s[i] == '-' ? -1 : 1;
            auto oh = parse_digits(s, i + 1, 2);
            if (!oh || *oh > 15) return std::nullopt;
            i += 3;
            int om = 0;
            if (i < s.size()) {
                if (s[i] == ':') ++i;
                auto m = parse_digits(s, i, 2);
                if (!m || *m > 59) return std::nullopt;
                om = *m;
                i += 2;
            }
            offset_minutes = sign * (*oh * 60 + om);
        }
        if (i != s.size()) return std::nullopt;
    }
    auto t = sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*se) + microseconds(frac) - minutes(offset_minutes);
    return time_point_cast<system_clock::duration>(t);
}

Result<std::int64_t, DbError> value_to_int64(const Value& v) {
    if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (auto* s = std::get_if<std::string>(&v))
        if (auto n = parse_number<std::int64_t>(*s)) return *n;
    return mismatch("not an integer");
}

Result<double, DbError> value_to_double(const Value& v) {
    if (auto* d = std::get_if<double>(&v)) return *d;
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (auto* s = std::get_if<std::string>(&v))
        if (auto n = parse_number<double>(*s)) return *n;
    return mismatch("not a number");
}

Result<std::string_view, DbError> value_to_text(const Value& v) {
    if (auto* s = std::get_if<std::string>(&v)) return std::string_view(*s);
    return mismatch("not text");
}

Result<Bytes, DbError> value_to_bytes(const Value& v) {
    if (auto* b = std::get_if<Bytes>(&v)) return *b;
    if (auto* s = std::get_if<std::string>(&v)) return Bytes(s->begin(), s->end());
    return mismatch("not bytes");
}

Result<TimePoint, DbError> value_to_time(const Value& v) {
    constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000;  // nanosecond clocks
    if (auto* i = std::get_if<std::int64_t>(&v)) {
        if (*i > kLimit || *i < -kLimit) return mismatch("time out of range");
        return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(*i)));
    }
    if (auto* s = std::get_if<std::string>(&v))
        if (auto t = parse_time(*s)) return *t;
    return mismatch("not a time");
}

}  // namespace detail
}  // namespace bulwark::db
