// `bulwark audit URL`: the probes, over libcurl, and the printed report (audit.hpp has the
// model). Every request has a connect and a total timeout, reads at most kMaxBody bytes of body
// and kMaxHeaderBytes of head, follows no redirect, and counts against kMaxRequests; only the
// http and https protocols are allowed, so a redirect or a URL cannot turn the audit into a file
// or gopher client. Certificate checks stay on unless --insecure says otherwise, and the report
// says so on its second line.
#include "audit.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <bulwark/crypto.hpp>
#include <cstdio>
#include <memory>

#include "cli.hpp"

namespace bulwark::cli {
namespace {

using audit::Observed;
using audit::Response;

struct CurlFree {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
    void operator()(char* s) const { curl_free(s); }
};

// Capture: what the callbacks collect for one request, bounded.
struct Capture {
    Response response;
    std::size_t head_bytes = 0;
    bool body_cut = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& c = *static_cast<Capture*>(user);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {  // a new response head (after a 1xx): start again
        c.response.headers.clear();
        c.head_bytes = 0;
        return n;
    }
    c.head_bytes += n;
    const auto colon = line.find(':');
    if (c.head_bytes > audit::kMaxHeaderBytes || colon == std::string_view::npos || colon == 0)
        return n;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    c.response.headers.emplace_back(audit::lower(line.substr(0, colon)),
                                    std::string(value.substr(0, audit::kMaxHeaderValue)));
    return n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& c = *static_cast<Capture*>(user);
    const std::size_t n = size * count;
    if (c.response.body.size() + n > audit::kMaxBody) {
        c.response.body.append(data, audit::kMaxBody - c.response.body.size());
        c.body_cut = true;
        return 0;  // stop reading: the rest of a huge body is not the audit's business
    }
    c.response.body.append(data, n);
    return n;
}

// Client sends the audit's requests: one fresh connection each, counted against the budget.
class Client {
  public:
    explicit Client(const AuditFlags& flags) : flags_(flags) {}

    Response send(const std::string& method, const std::string& url,
                  const std::vector<std::string>& headers = {}, const std::string& body = {}) {
        Capture c;
        if (sent_ >= audit::kMaxRequests) {
            c.response.error = "request budget spent";
            return c.response;
        }
        ++sent_;
        c.response.sent = true;
        std::unique_ptr<CURL, CurlFree> h(curl_easy_init());
        if (!h) {
            c.response.error = "libcurl could not start";
            return c.response;
        }
        std::unique_ptr<curl_slist, CurlFree> list;
        for (const auto& header : headers) {
            curl_slist* next = curl_slist_append(list.get(), header.c_str());
            if (next == nullptr) break;
            (void)list.release();
            list.reset(next);
        }
        CURL* e = h.get();
        curl_easy_setopt(e, CURLOPT_URL, url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(std::min(flags_.timeout_seconds, 10) * 1000));
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(flags_.timeout_seconds * 1000));
        curl_easy_setopt(e, CURLOPT_USERAGENT, "bulwark-audit/1");
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &c);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &c);
        if (!flags_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, flags_.ca_file.c_str());
        if (flags_.insecure) {
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (list) curl_easy_setopt(e, CURLOPT_HTTPHEADER, list.get());
        if (method == "POST") {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        } else if (method != "GET") {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method.c_str());
        }
        const CURLcode rc = curl_easy_perform(e);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        c.response.status = status;
        if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && c.body_cut)) {
            c.response.error = curl_easy_strerror(rc);
            if (status == 0) c.response.headers.clear();
        }
        return c.response;
    }

    int sent() const noexcept { return sent_; }

  private:
    const AuditFlags& flags_;
    int sent_ = 0;
};

// Origin: scheme, host (lower case, IPv6 in brackets) and the URL's origin text.
struct Origin {
    std::string scheme, host, origin;
};

std::optional<Origin> parse_origin(const std::string& url) {
    std::unique_ptr<CURLU, CurlFree> u(curl_url());
    if (!u || url.size() > 2048 ||
        curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
        return std::nullopt;
    auto part = [&](CURLUPart which) -> std::string {
        char* raw = nullptr;
        if (curl_url_get(u.get(), which, &raw, 0) != CURLUE_OK || raw == nullptr) return {};
        std::unique_ptr<char, CurlFree> owned(raw);
        return std::string(raw);
    };
    Origin o;
    o.scheme = audit::lower(part(CURLUPART_SCHEME));
    o.host = audit::lower(part(CURLUPART_HOST));
    const std::string port = part(CURLUPART_PORT);
    if ((o.scheme != "http" && o.scheme != "https") || o.host.empty()) return std::nullopt;
    o.origin = o.scheme + "://" + o.host + (port.empty() ? "" : ":" + port);
    return o;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        std::unique_ptr<char, CurlFree> key(
            curl_easy_escape(nullptr, k.c_str(), static_cast<int>(k.size())));
        std::unique_ptr<char, CurlFree> value(
            curl_easy_escape(nullptr, v.c_str(), static_cast<int>(v.size())));
        if (!key || !value) continue;
        if (!out.empty()) out += '&';
        out += std::string(key.get()) + "=" + value.get();
    }
    return out;
}

// cookie_header: every cookie the pages set, as a Cookie request header (never printed).
std::string cookie_header(const std::vector<const Response*>& responses) {
    std::string out;
    for (const Response* r : responses)
        for (auto value : r->all("set-cookie"))
            if (auto c = audit::parse_set_cookie(value); c && !c->value.empty()) {
                out += (out.empty() ? "Cookie: " : "; ") + c->name + "=" + c->value;
                if (out.size() > 4096) return {};
            }
    return out;
}

// letters: a random string of [a-z0-9], so the probe's username passes any username rule.
std::string letters(std::size_t n) {
    static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    for (auto b : crypto::random_bytes(n))
        out += kAlphabet[static_cast<unsigned char>(b) % kAlphabet.size()];
    return out;
}

// probe_login: the CSRF refusal and the bounded run of bad logins on the login form.
void probe_login(Client& client, const AuditFlags& flags, const std::string& base, Observed& o) {
    if (o.login_page.status != 200) {
        o.login_skipped = "the login page answered " + std::to_string(o.login_page.status);
        return;
    }
    std::optional<std::pair<std::string, std::string>> token;
    for (const auto& form : audit::find_forms(o.login_page.body))
        if (form.method == "post" && (token = audit::csrf_token_of(form, flags.csrf_field))) break;
    std::vector<std::string> headers{"Content-Type: application/x-www-form-urlencoded",
                                     "Origin: " + base, "Referer: " + base + flags.login_path};
    if (auto cookie = cookie_header({&o.home, &o.login_page}); !cookie.empty())
        headers.push_back(cookie);
    // A random username that cannot exist: the probe never locks a real account.
    const std::vector<std::pair<std::string, std::string>> credentials{
        {flags.username_field, "audit" + letters(12)},
        {flags.password_field, "x" + crypto::random_token(18)}};
    const std::string url = base + flags.login_path;
    o.post_no_token = client.send("POST", url, headers, form_encode(credentials));
    auto with_token = credentials;
    if (token) with_token.push_back(*token);
    const std::string body = form_encode(with_token);
    for (int i = 0; i < audit::kMaxLoginAttempts; ++i) {
        const Response r = client.send("POST", url, headers, body);
        if (!r.sent) break;
        o.login_statuses.push_back(r.status);
        if (r.status == 429 || r.status == 0 || r.status == 400 || r.status == 403) break;
    }
}

void print_report(const std::string& url, const AuditFlags& flags, const Observed& o,
                  const std::vector<audit::Finding>& findings, int requests) {
    std::printf("bulwark audit of %s (%d requests)\n", audit::printable(url, 200).c_str(),
                requests);
    if (flags.insecure)
        std::printf(
            "NOTE  TLS certificate checks are OFF (--insecure): the results say nothing about the "
            "certificate\n");
    if (!o.https) std::printf("NOTE  audited over plain HTTP\n");
    for (const auto& f : findings)
        std::printf("%s  %-20s %s\n", std::string(audit::status_name(f.status)).c_str(),
                    f.check.c_str(), f.reason.c_str());
    const auto count = [&](audit::Status s) {
        return std::count_if(findings.begin(), findings.end(),
                             [&](const audit::Finding& f) { return f.status == s; });
    };
    std::printf("grade %c: %ld pass, %ld warn, %ld fail\n", audit::grade(findings),
                static_cast<long>(count(audit::Status::pass)),
                static_cast<long>(count(audit::Status::warn)),
                static_cast<long>(count(audit::Status::fail)));
}

}  // namespace

int audit_site(const AuditFlags& flags) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        std::fprintf(stderr, "bulwark: libcurl could not start\n");
        return 1;
    }
    auto origin = parse_origin(flags.url);
    if (!origin) {
        std::fprintf(stderr, "bulwark: audit needs an http:// or https:// URL with a host\n");
        return 1;
    }
    if (flags.login_path.empty() || flags.login_path.front() != '/' ||
        flags.register_path.empty() || flags.register_path.front() != '/') {
        std::fprintf(stderr, "bulwark: --login-path and --register-path must start with '/'\n");
        return 1;
    }
    if (!flags.http_url.empty() &&
        (!parse_origin(flags.http_url) || parse_origin(flags.http_url)->scheme != "http")) {
        std::fprintf(stderr, "bulwark: --http-url must be an http:// URL\n");
        return 1;
    }
    Client client(flags);
    Observed o;
    o.cookie_name = flags.cookie_name;
    o.csrf_field = flags.csrf_field;
    o.host = origin->host;
    o.https = origin->scheme == "https";
    std::string base = origin->origin;
    o.http_url = !flags.http_url.empty() ? flags.http_url
                 : o.https               ? "http://" + origin->host + "/"
                                         : flags.url;
    o.plain_http = client.send("GET", o.http_url);
    if (!o.https) {
        // An http:// URL that redirects to https:// on the same host is audited there.
        const auto location = o.plain_http.header("location");
        auto target = location ? parse_origin(std::string(*location)) : std::nullopt;
        if (target && target->scheme == "https" && target->host == o.host) {
            base = target->origin;
            o.https = true;
        }
    }
    if (origin->scheme == "https" || !flags.http_url.empty())
        o.home = client.send("GET", flags.url);
    else if (o.https)
        o.home = client.send("GET", base + "/");
    else
        o.home = o.plain_http;  // the same request: not sent twice
    o.login_page = client.send("GET", base + flags.login_path);
    o.register_page = client.send("GET", base + flags.register_path);
    o.not_found = client.send("GET", base + "/bulwark-audit-" + letters(16));
    // An invalid method token: the server's parser must refuse it without telling who it is.
    o.malformed = client.send("B@D<>", base + "/");
    probe_login(client, flags, base, o);

    const auto findings = audit::evaluate(o);
    print_report(flags.url, flags, o, findings, client.sent());
    curl_global_cleanup();
    return audit::grade(findings) == 'F' ? 1 : 0;
}

}  // namespace bulwark::cli
