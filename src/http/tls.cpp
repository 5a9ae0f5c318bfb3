#include "tls.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace bulwark {
namespace {

// Mozilla server-side TLS guidelines, "intermediate" configuration (TLS 1.2 part; TLS 1.3
// suites are OpenSSL's defaults, all of which are acceptable).
constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& certificate,
                                                            const std::string& private_key) {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    SSL_CTX* native = ctx->native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(native, kIntermediateCiphers) != 1)
        throw std::runtime_error("TLS: the cipher policy could not be applied");
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(certificate, ec);
    if (ec) throw std::runtime_error("TLS: cannot load the certificate chain " + certificate);
    ctx->use_private_key_file(private_key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS: cannot load the private key " + private_key);
    if (SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error("TLS: the private key does not match the certificate");
    return ctx;
}

TlsContexts::TlsContexts(std::string certificate, std::string private_key)
    : certificate_(std::move(certificate)), private_key_(std::move(private_key)) {
    if (certificate_.empty() || private_key_.empty())
        throw std::runtime_error("TLS needs both a certificate and a private key");
    current_ = make_tls_context(certificate_, private_key_);
}

std::shared_ptr<boost::asio::ssl::context> TlsContexts::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::string TlsContexts::reload() {
    try {
        auto fresh = make_tls_context(certificate_, private_key_);
        std::lock_guard lock(mutex_);
        current_ = std::move(fresh);
        return {};
    } catch (const std::exception& e) {
        return e.what();
    }
}

}  // namespace bulwark
