// The libcurl transport: https only, peer and host name verified, no redirects, bounded bodies.
#include "strict_json.hpp"

#include <curl/curl.h>

#include <mutex>

namespace bulwark::oidc {
namespace {

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
    std::string body;
    bool too_large = false;
};

size_t write_callback(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const size_t n = size * count;
    if (sink->body.size() + n > kMaxDocumentSize) {
        sink->too_large = true;
        return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    sink->body.append(data, n);
    return n;
}

class CurlTransport final : public Transport {
public:
    explicit CurlTransport(const Config& c)
        : ca_file_(c.ca_file), connect_timeout_(c.connect_timeout), timeout_(c.timeout), insecure_(c.insecure_http) {
        init_curl_once();
    }

    Result<HttpResponse, Error> send(const HttpRequest& request) override {
        if (auto ok = detail::check_url(request.url, insecure_); !ok) return ok.error();
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
        if (!curl) return Error::fetch_failed;
        CURL* h = curl.get();
        Sink sink;
        curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
        for (const auto& [name, value] : request.headers) {
            std::string line = name + ": " + value;  // may be the client's Basic credentials
            if (list) list = curl_slist_append(list, line.c_str());
            crypto::wipe(line.data(), line.size());
        }
        std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
        if (!headers) return Error::fetch_failed;
        curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
                         insecure_ == InsecureHttp::allow_loopback_for_testing ? "https,http" : "https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could lead anywhere
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!ca_file_.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file_.c_str());
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for timeouts
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxDocumentSize));
        curl_easy_setopt(h, CURLOPT_PROXY, "");  // no proxy from the environment sees the secret
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &write_callback);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
        if (!request.form_body.empty()) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.form_body.c_str());
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.form_body.size()));
        }
        const CURLcode code = curl_easy_perform(h);
        if (sink.too_large || code == CURLE_FILESIZE_EXCEEDED) return Error::too_large;
        if (code != CURLE_OK) return Error::fetch_failed;
        HttpResponse response;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
        response.body = std::move(sink.body);
        return response;
    }

private:
    std::string ca_file_;
    std::chrono::milliseconds connect_timeout_;
    std::chrono::milliseconds timeout_;
    InsecureHttp insecure_;
};

}  // namespace

std::shared_ptr<Transport> curl_transport(const Config& config) { return std::make_shared<CurlTransport>(config); }

}  // namespace bulwark::oidc
