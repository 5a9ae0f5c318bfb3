// bulwark/mail.hpp: outgoing mail. Messages are validated and formatted here (RFC 5322,
// MIME, quoted-printable, RFC 2047 subjects), sent by SMTP through libcurl or printed to the
// console in development, and queued by an Outbox so no request waits for a mail server.
//
// Security model: every header value is untrusted. An address or subject carrying CR, LF or
// any other control character is refused (header injection: a "\r\nBcc:" would otherwise add
// recipients), addresses are checked against a strict addr-spec, and the body is encoded so
// no line of it can end the SMTP DATA phase or smuggle a header. SMTP requires TLS (STARTTLS
// on smtp://, implicit TLS on smtps://) with certificate and host name verification; plain
// text is allowed only to a loopback host and only when the URL says `?starttls=off`.
// Credentials come from the URL or from SMTP_USERNAME / SMTP_PASSWORD, never appear in an
// error, and are wiped when the backend goes. The console backend refuses production.
//
//     auto backend = std::make_shared<bulwark::mail::SmtpBackend>(
//         bulwark::mail::SmtpConfig{.url = "smtp://mail.example.com:587"});
//     bulwark::mail::Outbox outbox{backend};
//     bool queued = outbox.send_async({.from = "Shop <noreply@shop.example>", .to = "bob@example.com",
//                                      .subject = "Reset your password", .text_body = body});
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bulwark::mail {

// Message: one plain-text mail. `from` and `to` are "user@example.com" or
// "Display Name <user@example.com>"; `subject` and `text_body` are UTF-8.
struct Message {
    std::string from;
    std::string to;
    std::string subject;
    std::string text_body;
};

// MessageError: why a message was refused. None carries the offending value.
enum class MessageError {
    bad_from,        // not an address, or a control character / CR / LF in it
    bad_to,          // likewise for the recipient
    bad_subject,     // empty, control characters (CR, LF, ...), invalid UTF-8, or too long
    bad_body,        // NUL or invalid UTF-8
    body_too_large,  // over kMaxBodyBytes
};
std::string_view message_error_name(MessageError e) noexcept;

inline constexpr std::size_t kMaxAddressBytes = 254;   // RFC 5321 path limit
inline constexpr std::size_t kMaxSubjectBytes = 512;
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

// Mailbox: a checked address and its optional display name.
struct Mailbox {
    std::string display_name;
    std::string address;  // addr-spec: dot-atom local part, LDH domain labels
};
// parse_mailbox checks one address as Message takes it (bad_to on failure; the caller maps it).
Result<Mailbox, MessageError> parse_mailbox(std::string_view untrusted);

// validate checks every field (addresses, subject, body) without formatting.
Result<void, MessageError> validate(const Message& message);

// Formatted: what goes to the SMTP server. `data` is the whole message with CRLF line ends.
struct Formatted {
    std::string envelope_from;  // bare address, for MAIL FROM
    std::string envelope_to;    // bare address, for RCPT TO
    std::string data;
};
// format validates and renders: Date, From, To, Subject (RFC 2047 encoded-words when not
// ASCII), a random Message-ID at the sender's domain, MIME-Version, Content-Type text/plain;
// charset=utf-8, Content-Transfer-Encoding quoted-printable (lines <= 76, dots safe).
Result<Formatted, MessageError> format(const Message& message,
                                       std::chrono::system_clock::time_point now =
                                           std::chrono::system_clock::now());

// SendError: why a send failed; is_transient says whether retrying may help.
enum class SendError {
    invalid_message,  // validate() refused it (permanent)
    connect_failed,   // DNS, refused or unreachable (transient)
    tls_failed,       // STARTTLS missing, handshake or certificate failure (transient: config)
    auth_failed,      // the server refused the credentials (permanent)
    rejected,         // the server refused the sender or recipient (permanent)
    timeout,          // (transient)
    server_error,     // any other SMTP or transfer failure (transient)
};
std::string_view send_error_name(SendError e) noexcept;
bool is_transient(SendError e) noexcept;

// Backend sends one message synchronously. Implementations are thread-safe.
class Backend {
public:
    virtual ~Backend() = default;
    virtual Result<void, SendError> send(const Message& message) = 0;
};

// SmtpConfig: url is smtp://host[:port] (STARTTLS required; port 587 by default) or
// smtps://host[:port] (implicit TLS; 465). `?starttls=off` sends in clear text and is accepted
// only for a loopback host (a test sink). Credentials in the URL's userinfo win over
// username/password here, which win over SMTP_USERNAME / SMTP_PASSWORD.
struct SmtpConfig {
    std::string url;
    std::string username;
    crypto::SecretBytes password;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};  // the whole transfer
    std::string ca_file;                        // empty: the system store
};

// SmtpBackend sends through libcurl. The constructor throws std::invalid_argument on a bad
// URL (configuration error at start; the message never contains credentials).
class SmtpBackend final : public Backend {
public:
    explicit SmtpBackend(SmtpConfig config);
    ~SmtpBackend() override;
    Result<void, SendError> send(const Message& message) override;

    bool tls_required() const noexcept { return tls_required_; }
    const std::string& server_url() const noexcept { return server_url_; }  // no credentials

private:
    std::string server_url_;
    std::string username_;
    crypto::SecretBytes password_;
    bool tls_required_ = true;
    SmtpConfig config_;
};

// Environment: where the app runs; the console backend exists only in development.
enum class Environment { development, production };

// LogBackend prints each message (headers and body, control characters escaped so a link or
// a name cannot drive the terminal) to a file descriptor, stderr by default, so a developer
// can click the link in a reset mail. Throws std::invalid_argument in production.
class LogBackend final : public Backend {
public:
    explicit LogBackend(Environment environment, int fd = 2);
    Result<void, SendError> send(const Message& message) override;

private:
    int fd_;
    std::mutex mutex_;
};

// OutboxOptions: the defaults need no change.
struct OutboxOptions {
    std::size_t queue_limit = 1000;                 // waiting + retrying messages
    int max_attempts = 5;                           // including the first
    std::chrono::milliseconds initial_backoff{2'000};
    std::chrono::milliseconds max_backoff{300'000};
    double backoff_multiplier = 2.0;
    bool jitter = true;                             // wait a random 50..100% of each backoff
    std::size_t threads = 1;
    // on_give_up is called (on a worker thread) when a message fails for good.
    std::function<void(const Message&, SendError)> on_give_up;
};

// OutboxStats: counters since start.
struct OutboxStats {
    std::uint64_t sent = 0, retried = 0, failed = 0, refused = 0, dropped = 0;
};

// Outbox sends off the request path: send_async validates and queues and returns at once;
// worker threads send, and retry transient failures with exponential backoff up to
// max_attempts. The destructor stops the workers and drops what is still queued (counted in
// `dropped`); call flush first to wait for them. Thread-safe.
class Outbox {
public:
    explicit Outbox(std::shared_ptr<Backend> backend, OutboxOptions options = {});
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // send_async: false when the message is invalid or the queue is full (never blocks).
    [[nodiscard]] bool send_async(Message message);
    // flush waits until nothing is queued or in flight; false if the timeout came first.
    bool flush(std::chrono::milliseconds timeout);
    OutboxStats stats() const;
    // backoff_for_testing: the delay before attempt n+1 (n >= 1) without jitter.
    std::chrono::milliseconds backoff_for_testing(int attempt) const { return backoff(attempt); }

private:
    struct Item {
        Message message;
        int attempts = 0;
    };
    void run();
    std::chrono::milliseconds backoff(int attempts) const;

    std::shared_ptr<Backend> backend_;
    OutboxOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::multimap<std::chrono::steady_clock::time_point, Item> queue_;  // by due time
    std::size_t in_flight_ = 0;
    bool stopping_ = false;
    OutboxStats stats_;
    std::vector<std::thread> workers_;
};

}  // namespace bulwark::mail
