// The text exposition format: name checks, escaping, value formatting and the writer.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
#include <bulwark/metrics.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace bulwark::metrics {
namespace {

bool is_alpha_(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 200) return false;
    if (!is_alpha_(name[0]) && name[0] != ':') return false;
    for (char c : name)
        if (!is_alpha_(c) && !is_digit(c) && c != ':') return false;
    return true;
}

bool valid_label_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 100 || !is_alpha_(name[0])) return false;
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
    for (char c : name)
        if (!is_alpha_(c) && !is_digit(c)) return false;
    return true;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    // Counts are integers: printed exactly, never in exponent form, up to 2^53.
    if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
        auto r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
        return std::string(buffer, r.ptr);
    }
    auto r = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest round-trip form
    return std::string(buffer, r.ptr);
}

std::string_view type_name(Type t) noexcept {
    switch (t) {
        case Type::counter: return "counter";
        case Type::gauge: return "gauge";
        case Type::histogram: return "histogram";
        case Type::untyped: return "untyped";
    }
    return "untyped";
}

void Exposition::family(std::string_view name, std::string_view help, Type type) {
    if (!valid_metric_name(name)) throw std::invalid_argument("metrics: invalid metric name");
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += escape_help(help);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type_name(type);
    text_ += '\n';
}

void Exposition::sample(std::string_view name, std::span<const Label> labels, double value) {
    if (!valid_metric_name(name)) throw std::invalid_argument("metrics: invalid metric name");
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        bool first = true;
        for (const auto& [label, v] : labels) {
            if (!valid_label_name(label)) throw std::invalid_argument("metrics: invalid label name");
            if (!first) text_ += ',';
            first = false;
            text_ += label;
            text_ += "=\"";
            text_ += escape_label_value(v);
            text_ += '"';
        }
        text_ += '}';
    }
    text_ += ' ';
    text_ += format_value(value);
    text_ += '\n';
}

void Exposition::histogram(std::string_view name, std::span<const Label> labels, const Histogram& h) {
    const auto snap = h.snapshot();
    const std::string base(name);
    Labels with_le(labels.begin(), labels.end());
    with_le.emplace_back("le", "");
    const auto bounds = h.bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        with_le.back().second = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
        sample(base + "_bucket", with_le, static_cast<double>(snap.cumulative[i]));
    }
    sample(base + "_sum", labels, snap.sum_seconds);
    sample(base + "_count", labels, static_cast<double>(snap.count));
}

}  // namespace bulwark::metrics
