// bulwark/audit.hpp: the security log. One JSON object per line, one closed set of events
// named as the OWASP Logging Vocabulary names them, typed fields, and sinks for stderr, a file
// (reopened for logrotate) and syslog.
//
// Security model: everything a client sent (user names, paths, user agents, field values) is
// untrusted. Each string is JSON-escaped so it cannot end the line, close the object, or reach
// a terminal as an escape sequence: every C0/C1 control character, DEL, U+2028/U+2029, the
// bidirectional overrides and the BOM are written as \uXXXX, and invalid UTF-8 (overlong forms,
// surrogates, truncated sequences) becomes U+FFFD. Strings are cut at kMaxValueBytes. Secrets
// cannot reach the log by type: a Field takes only strings, integers and booleans; SecretBytes
// and every other class type (a token, a session id, a key) do not compile.
// https://cheatsheetseries.owasp.org/cheatsheets/Logging_Vocabulary_Cheat_Sheet.html
//
//     bulwark::audit::Logger log{bulwark::audit::stderr_sink()};
//     log.log(bulwark::audit::Event::authn_login_fail,
//             {.request_id = rid, .client = "203.0.113.7", .user = "bob"},
//             {{"reason", "bad_password"}, {"attempt", 3}});
//     // {"time":"2025-01-02T03:04:05.678Z","app":"bulwark","event":"authn_login_fail",
//     //  "level":"WARN","request_id":"...","client":"203.0.113.7","user":"bob",
//     //  "fields":{"reason":"bad_password","attempt":3}}
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

namespace bulwark::audit {

// Event: the closed set of things the framework logs. Names and levels are OWASP's; the few
// the vocabulary lacks are marked "extension" (is_owasp() is false for them).
enum class Event {
    authn_login_success,
    authn_login_successafterfail,
    authn_login_fail,
    authn_login_fail_max,
    authn_login_lock,
    authn_password_change,
    authn_password_change_fail,
    authn_password_reset_request,  // extension: a reset mail was asked for (INFO)
    authn_impossible_travel,
    authn_token_created,
    authn_token_revoked,
    authn_token_reuse,
    authn_token_delete,
    authz_fail,
    authz_change,
    authz_admin,
    crypt_decrypt_fail,
    crypt_encrypt_fail,
    excess_rate_limit_exceeded,
    upload_complete,
    upload_stored,
    upload_validation,
    upload_delete,
    input_validation_fail,
    input_validation_discrete_fail,
    malicious_excess_404,
    malicious_extraneous,
    malicious_attack_tool,
    malicious_cors,
    malicious_csrf,  // extension: a CSRF check refused an unsafe request (WARN: stale forms happen)
    malicious_direct_reference,
    privilege_permissions_changed,
    sensitive_create,
    sensitive_read,
    sensitive_update,
    sensitive_delete,
    sequence_fail,
    session_created,
    session_renewed,
    session_expired,
    session_use_after_expire,
    sys_startup,
    sys_shutdown,
    sys_restart,
    sys_crash,
    sys_monitor_disabled,
    sys_monitor_enabled,
    user_created,
    user_updated,
    user_archived,
    user_deleted,
};
inline constexpr std::size_t kEventCount = static_cast<std::size_t>(Event::user_deleted) + 1;

// Level: OWASP's three levels; each event has the one the vocabulary gives it.
enum class Level { info, warn, critical };

std::string_view event_name(Event e) noexcept;        // "authn_login_fail"
Level event_level(Event e) noexcept;                  // Level::warn
bool is_owasp(Event e) noexcept;                      // false for extensions
std::optional<Event> event_from_name(std::string_view name) noexcept;
std::string_view level_name(Level l) noexcept;        // "INFO", "WARN", "CRITICAL"

// Context: who and where, from the request. Views; they must outlive the log() call only.
struct Context {
    std::string_view request_id;
    std::string_view client;  // the client address as the HTTP layer resolved it
    std::string_view user;    // empty when not known; omitted from the line then
};

// LoggableValue: the closed set of field value types. Anything else (SecretBytes, a token
// type, a session id, a struct that converts to a string) is refused at compile time.
template <class T>
concept LoggableValue =
    std::same_as<std::remove_cvref_t<T>, std::string_view> ||
    std::same_as<std::remove_cvref_t<T>, std::string> ||
    std::same_as<std::decay_t<T>, const char*> || std::same_as<std::decay_t<T>, char*> ||
    std::same_as<std::remove_cvref_t<T>, bool> ||
    (std::integral<std::remove_cvref_t<T>> && !std::same_as<std::remove_cvref_t<T>, char> &&
     !std::same_as<std::remove_cvref_t<T>, char8_t> &&
     !std::same_as<std::remove_cvref_t<T>, char16_t> &&
     !std::same_as<std::remove_cvref_t<T>, char32_t> &&
     !std::same_as<std::remove_cvref_t<T>, wchar_t>);

// Field: one typed extra value, e.g. {"reason", "bad_password"} or {"attempt", 3}. It is a
// view for the duration of one log() call (the key and a string value are not copied).
class Field {
public:
    using Value = std::variant<std::string_view, std::int64_t, bool>;

    template <LoggableValue T>
    Field(std::string_view key, T&& value)  // NOLINT: implicit so {"k", v} reads naturally
        : key_(key), value_(convert(std::forward<T>(value))) {}

    // Secrets never become log fields: key material, and by the closed set above every other
    // class type. A password is a std::string, so name fields after what they hold.
    Field(std::string_view key, const crypto::SecretBytes& secret) = delete;
    template <class T>
        requires(!LoggableValue<T>)
    Field(std::string_view key, T&& value) = delete;

    std::string_view key() const noexcept { return key_; }
    const Value& value() const noexcept { return value_; }

private:
    template <class T>
    static Value convert(T&& v) {
        using U = std::remove_cvref_t<T>;
        if constexpr (std::same_as<U, bool>) return Value{std::in_place_index<2>, v};
        else if constexpr (std::integral<U>) return Value{std::in_place_index<1>, static_cast<std::int64_t>(v)};
        else if constexpr (std::is_array_v<std::remove_reference_t<T>>)
            return Value{std::in_place_index<0>, std::string_view(v)};
        else if constexpr (std::is_pointer_v<U>)
            return Value{std::in_place_index<0>, v ? std::string_view(v) : std::string_view()};
        else return Value{std::in_place_index<0>, std::string_view(v)};
    }

    std::string_view key_;
    Value value_;
};

inline constexpr std::size_t kMaxValueBytes = 1024;  // longer strings are cut ("truncated":true)
inline constexpr std::size_t kMaxKeyBytes = 64;
inline constexpr std::size_t kMaxFields = 32;        // further fields are dropped ("truncated":true)

// Record: everything one line holds.
struct Record {
    Event event = Event::sys_crash;
    std::chrono::system_clock::time_point time;
    std::string_view app = "bulwark";
    Context context;
    std::span<const Field> fields;
};

// format_line renders a record as one JSON object and a '\n'. Whatever the input bytes, the
// result is valid JSON on exactly one line. Never throws except std::bad_alloc.
std::string format_line(const Record& record);
// append_json_string appends `untrusted` as a quoted JSON string, escaped as described above,
// cut at max_bytes of input (returns true when it was cut).
bool append_json_string(std::string& out, std::string_view untrusted,
                        std::size_t max_bytes = kMaxValueBytes);
// format_time: RFC 3339 in UTC with milliseconds, "2025-01-02T03:04:05.678Z".
std::string format_time(std::chrono::system_clock::time_point t);

// SinkError: why a sink could not be opened or reopened (the path is not in it).
enum class SinkError { open_failed, not_reopenable };
std::string_view sink_error_name(SinkError e) noexcept;

// Sink: where lines go. write() gets one whole line (with its '\n') and must write it with one
// system call, so lines of concurrent writers (threads or processes) never interleave.
// Implementations are thread-safe.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(Level level, std::string_view line) noexcept = 0;
    // reopen closes and reopens the destination (a file after logrotate moved it).
    virtual Result<void, SinkError> reopen() { return {}; }
    // failures counts lines the destination did not take.
    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

protected:
    std::atomic<std::uint64_t> failures_{0};
};

// stderr_sink: the default (development, containers that collect stderr).
std::shared_ptr<Sink> stderr_sink();
// file_sink appends to `path` (O_APPEND|O_CLOEXEC, created 0600). reopen() opens the path
// again, for logrotate's `postrotate kill -HUP`; on failure the old file stays in use.
Result<std::shared_ptr<Sink>, SinkError> file_sink(std::string path);
// syslog_sink sends each line to syslog(3) with facility LOG_AUTHPRIV (readable by root only
// on most systems) and the event's level as priority. openlog is process-wide: make one.
std::shared_ptr<Sink> syslog_sink(std::string ident = "bulwark");

// MemorySink keeps lines for tests (bounded: the oldest go past `max_lines`).
class MemorySink final : public Sink {
public:
    explicit MemorySink(std::size_t max_lines = 10000) : max_lines_(max_lines) {}
    void write(Level level, std::string_view line) noexcept override;
    std::vector<std::string> lines() const;
    void clear();

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
    std::size_t max_lines_;
};

// Counts: lines logged per event since start, indexed by static_cast<size_t>(Event).
using Counts = std::array<std::uint64_t, kEventCount>;

// Options: the defaults need no change.
struct Options {
    std::string app = "bulwark";
    // now replaces the clock in tests; empty means system_clock::now().
    std::chrono::system_clock::time_point (*now)() = nullptr;
};

// Logger formats records and hands them to its sink. No global: the app owns one and passes
// it to the components that log. Thread-safe; log() never throws and never blocks on other
// loggers (formatting runs outside any lock; the sink takes one write per line).
class Logger {
public:
    explicit Logger(std::shared_ptr<Sink> sink = stderr_sink(), Options options = {});

    void log(Event event, const Context& context,
             std::initializer_list<Field> fields = {}) noexcept;
    void log(Event event, const Context& context, std::span<const Field> fields) noexcept;

    // reopen asks the sink to reopen its destination; the server calls it on SIGHUP.
    Result<void, SinkError> reopen();
    // counts: lines per event, for the /metrics endpoint.
    Counts counts() const noexcept;
    std::uint64_t count(Event event) const noexcept;
    const std::shared_ptr<Sink>& sink() const noexcept { return sink_; }

private:
    std::shared_ptr<Sink> sink_;
    Options options_;
    std::array<std::atomic<std::uint64_t>, kEventCount> counts_{};
};

// RateGuard lets the same (event, key) through at most once per window, so a flood (404s from
// one address, a bad-token loop) is one line per window and key. When the first line of the
// next window passes, `suppressed` says how many were held back; log it as a field. Bounded:
// past max_keys live keys, new keys are suppressed (and counted) until old ones expire.
// Thread-safe.
class RateGuard {
public:
    struct Admit {
        bool log = false;
        std::uint64_t suppressed = 0;  // held back for this key since its last admitted line
    };

    explicit RateGuard(std::chrono::milliseconds window, std::size_t max_keys = 10000);
    Admit admit(Event event, std::string_view key,
                std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    // overflowed: lines suppressed because the key table was full.
    std::uint64_t overflowed() const;

private:
    struct Entry {
        std::chrono::steady_clock::time_point window_start;
        std::uint64_t suppressed = 0;
    };
    void prune(std::chrono::steady_clock::time_point now);

    std::chrono::milliseconds window_;
    std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::uint64_t overflowed_ = 0;
};

}  // namespace bulwark::audit
