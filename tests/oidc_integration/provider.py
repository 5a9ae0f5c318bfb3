#!/usr/bin/python3
"""A small OpenID Connect provider for Bulwark's tests, on loopback over HTTPS.

Built on Debian's python3-authlib (authlib.jose for the keys and signatures, authlib's PKCE
helper for the S256 check). It auto-approves every authorization request (there is no user to
ask) and can misbehave on request, so the tests see the client refuse each attack:

    /authorize?...&misbehave=<mode>   the ID token issued for this code is
        wrong_aud    for another client            expired      past its exp
        forged_sig   signed by a key not published alg_none     unsigned, alg none
        hs256        HMAC-signed with the public key as secret
        wrong_nonce  carrying another nonce        wrong_iss    from another issuer
        rotated      signed by a second key published only from now on
    /authorize?...&sub=<subject>&email=<address>  who "logs in" (default: alice)

PKCE is required: /authorize refuses a request without an S256 code_challenge, and /token
refuses a code without the matching code_verifier (invalid_grant). Codes are single use.
GET /_test/stats tells what the provider saw (JWKS fetches, token requests and whether each
carried a verifier). Any path ending in /.well-known/openid-configuration answers with this
provider's own issuer, so a client configured with another issuer sees the mismatch.

Usage: provider.py --cert server.pem --key server.key --client-id ID --client-secret S
                   --redirect-uri URI [--redirect-uri 'http://127.0.0.1:*' ...]
It prints "PORT <n>" once listening on 127.0.0.1 (port chosen by the kernel).
"""
import argparse
import base64
import hashlib
import hmac
import json
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse, unquote

from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    def __init__(self, args):
        self.args = args
        self.issuer = ""
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.rogue = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.second = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k2"})
        self.second_published = False
        self.codes = {}
        self.lock = threading.Lock()
        self.jwks_fetches = 0
        self.token_requests = []

    def discovery(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def jwks(self):
        keys = [self.key.as_dict(is_private=False)]
        if self.second_published:
            keys.append(self.second.as_dict(is_private=False))
        for k in keys:
            k["use"] = "sig"
            k["alg"] = "RS256"
        return {"keys": keys}

    def id_token(self, grant):
        now = int(time.time())
        mode = grant["misbehave"]
        claims = {
            "iss": self.issuer, "sub": grant["sub"], "aud": self.args.client_id, "nonce": grant["nonce"],
            "iat": now, "exp": now + 300, "email": grant["email"], "email_verified": True,
            "preferred_username": grant["sub"],
        }
        if mode == "wrong_aud":
            claims["aud"] = "someone-else"
        elif mode == "expired":
            claims["iat"], claims["exp"] = now - 400, now - 200
        elif mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-of-this-login"
        elif mode == "wrong_iss":
            claims["iss"] = "https://evil.example.com"
        if mode == "alg_none":
            return b64url(b'{"alg":"none","kid":"k1"}') + "." + b64url(json.dumps(claims).encode()) + "."
        if mode == "hs256":
            pem = self.key.get_public_key().public_bytes(
                encoding=__import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.PEM,
                format=__import__("cryptography.hazmat.primitives.serialization",
                                  fromlist=["x"]).PublicFormat.SubjectPublicKeyInfo)
            head = b64url(b'{"alg":"HS256","kid":"k1","typ":"JWT"}') + "." + b64url(json.dumps(claims).encode())
            return head + "." + b64url(hmac.new(pem, head.encode(), hashlib.sha256).digest())
        key = self.key
        if mode == "forged_sig":
            key = self.rogue
        elif mode == "rotated":
            self.second_published = True
            key = self.second
        header = {"alg": "RS256", "kid": key.as_dict()["kid"], "typ": "JWT"}
        return jwt.encode(header, claims, key).decode()


def registered(uris, uri):
    """An exact registered URI, or one under a registered prefix ending in '*' (the test app's
    port is only known once it listens)."""
    return any(uri == r or (r.endswith("*") and uri.startswith(r[:-1]) and "#" not in uri) for r in uris)


class Handler(BaseHTTPRequestHandler):
    provider: Provider = None

    def log_message(self, fmt, *args):  # quiet: the tests read results, not logs
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        p = self.provider
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.endswith("/.well-known/openid-configuration"):
            return self.reply(200, p.discovery())
        if url.path == "/jwks":
            with p.lock:
                p.jwks_fetches += 1
            return self.reply(200, p.jwks())
        if url.path == "/huge":
            return self.reply(200, b"{" + b" " * (200 * 1024) + b"}")
        if url.path == "/_test/stats":
            with p.lock:
                return self.reply(200, {"jwks_fetches": p.jwks_fetches, "token_requests": p.token_requests})
        if url.path == "/authorize":
            return self.authorize(q)
        return self.reply(404, {"error": "not_found"})

    def authorize(self, q):
        p = self.provider
        if q.get("client_id") != p.args.client_id or not registered(p.args.redirect_uri, q.get("redirect_uri", "")):
            return self.reply(400, {"error": "invalid_request", "error_description": "unknown client or redirect"})
        if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
            return self.reply(400, {"error": "invalid_request"})
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            return self.reply(400, {"error": "invalid_request", "error_description": "PKCE S256 required"})
        code = secrets.token_urlsafe(32)
        with p.lock:
            p.codes[code] = {
                "redirect_uri": q["redirect_uri"], "nonce": q.get("nonce", ""), "challenge": q["code_challenge"],
                "misbehave": q.get("misbehave", ""), "sub": q.get("sub", "alice-subject"),
                "email": q.get("email", "alice@example.com"),
            }
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        p = self.provider
        if urlparse(self.path).path != "/token":
            return self.reply(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            client_id, secret = unquote(user.replace("+", " ")), unquote(pw.replace("+", " "))
        if client_id != p.args.client_id or not hmac.compare_digest(secret or "", p.args.client_secret):
            return self.reply(401, {"error": "invalid_client"})
        verifier = form.get("code_verifier")
        with p.lock:
            grant = p.codes.pop(form.get("code", ""), None)  # single use, even when refused below
            pkce_ok = bool(grant and verifier and create_s256_code_challenge(verifier) == grant["challenge"])
            p.token_requests.append({"code_verifier_present": verifier is not None, "pkce_ok": pkce_ok,
                                     "basic_auth": auth.startswith("Basic ")})
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self.reply(400, {"error": "invalid_grant"})
        if form.get("redirect_uri") != grant["redirect_uri"] or not pkce_ok:
            return self.reply(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
        with p.lock:
            token = p.id_token(grant)
        return self.reply(200, {"access_token": secrets.token_urlsafe(32), "token_type": "Bearer",
                                "expires_in": 300, "id_token": token})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--redirect-uri", action="append", default=[])
    args = ap.parse_args()
    Handler.provider = Provider(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    Handler.provider.issuer = f"https://127.0.0.1:{port}"
    print(f"PORT {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
