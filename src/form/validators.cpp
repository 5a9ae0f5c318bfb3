// The WTForms-style validators. Messages never include the submitted value, only the rule.
#include <bulwark/crypto.hpp>
#include <bulwark/form.hpp>

#include <cmath>
// GCC 12 with -fsanitize=address reports maybe-uninitialized inside libstdc++'s <regex>
// (a false positive in the library's own code); silenced for that header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace bulwark::form {
namespace {

bool blank(std::string_view s) noexcept {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
    return true;
}

// code_points counts UTF-8 code points (the input was checked as UTF-8 by the parser).
long code_points(std::string_view s) noexcept {
    long n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string format_number(double d) {
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    std::string s = std::to_string(d);
    while (!s.empty() && s.back() == '0') s.pop_back();
    return s;
}

std::string join(const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ", ";
        out += values[i];
    }
    return out;
}

std::optional<std::string_view> text_of(const FieldInput& in) {
    if (const auto* s = std::get_if<std::string>(&in.value)) return std::string_view(*s);
    if (in.present) return in.raw;
    return std::nullopt;
}

constexpr std::size_t kRegexMaxInput = 4096;

}  // namespace


// is_empty: absent, or text that is blank. A converted non-text value (a JSON number) is not empty.
static bool is_empty(const FieldInput& in) {
    if (!in.present) return true;
    if (const auto* s = std::get_if<std::string>(&in.value)) return blank(*s);
    if (std::holds_alternative<std::monostate>(in.value)) return blank(in.raw);
    return false;
}

Validator required(std::string message) {
    return {Validator::Stage::presence, [message = std::move(message)](const FieldInput& in) -> Check {
                if (is_empty(in)) return {message, true};
                return {};
            }};
}

Validator optional() {
    return {Validator::Stage::presence, [](const FieldInput& in) -> Check {
                if (is_empty(in)) return {std::nullopt, true};
                return {};
            }};
}

Validator length(long min, long max, std::string message) {
    if (message.empty()) {
        if (min >= 0 && max >= 0 && min == max)
            message = "Field must be exactly " + std::to_string(max) + " characters long.";
        else if (min >= 0 && max >= 0)
            message = "Field must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      " characters long.";
        else if (min >= 0)
            message = "Field must be at least " + std::to_string(min) + " characters long.";
        else
            message = "Field cannot be longer than " + std::to_string(max) + " characters.";
    }
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                auto text = text_of(in);
                long n = text ? code_points(*text) : 0;
                if ((min >= 0 && n < min) || (max >= 0 && n > max)) return {message, false};
                return {};
            }};
}

Validator regexp(const std::string& pattern, std::string message) {
    // Compiled once here; a bad pattern is a configuration error and throws at start.
    auto re = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
    return {Validator::Stage::value, [re, message = std::move(message)](const FieldInput& in) -> Check {
                auto text = text_of(in);
                if (!text || text->size() > kRegexMaxInput ||
                    !std::regex_match(text->begin(), text->end(), *re))
                    return {message, false};
                return {};
            }};
}

Validator number_range(std::optional<double> min, std::optional<double> max, std::string message) {
    if (message.empty()) {
        if (min && max)
            message = "Number must be between " + format_number(*min) + " and " + format_number(*max) + ".";
        else if (min)
            message = "Number must be at least " + format_number(*min) + ".";
        else
            message = "Number must be at most " + format_number(max.value_or(0)) + ".";
    }
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                std::optional<double> v;
                if (const auto* i = std::get_if<std::int64_t>(&in.value)) v = static_cast<double>(*i);
                if (const auto* d = std::get_if<double>(&in.value)) v = *d;
                if (!v || std::isnan(*v) || (min && *v < *min) || (max && *v > *max)) return {message, false};
                return {};
            }};
}

Validator email(std::string message, EmailOptions options) {
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                auto text = text_of(in);
                if (!text || !is_valid_email(*text, options)) return {message, false};
                return {};
            }};
}

Validator url(std::vector<std::string> schemes, std::string message) {
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                auto text = text_of(in);
                if (!text || !is_valid_url(*text, schemes)) return {message, false};
                return {};
            }};
}

Validator any_of(std::vector<std::string> values, std::string message) {
    if (message.empty()) message = "Invalid value, must be one of: " + join(values) + ".";
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                auto text = text_of(in);
                for (const auto& v : values)
                    if (text && *text == v) return {};
                return {message, false};
            }};
}

Validator none_of(std::vector<std::string> values, std::string message) {
    if (message.empty()) message = "Invalid value, can't be any of: " + join(values) + ".";
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                auto text = text_of(in);
                for (const auto& v : values)
                    if (text && *text == v) return {message, false};
                return {};
            }};
}

Validator equal_to(std::string other, std::string message) {
    if (message.empty()) message = "Field must be equal to " + other + ".";
    return {Validator::Stage::value, [=](const FieldInput& in) -> Check {
                auto mine = text_of(in);
                auto theirs = in.sibling(other);
                // Constant time: this is how a password is compared with its confirmation.
                if (!mine || !theirs || !crypto::equal(*mine, *theirs)) return {message, false};
                return {};
            }};
}

Validator custom(std::function<std::optional<std::string>(const FieldInput&)> check) {
    return {Validator::Stage::value, [check = std::move(check)](const FieldInput& in) -> Check {
                return {check(in), false};
            }};
}

}  // namespace bulwark::form
