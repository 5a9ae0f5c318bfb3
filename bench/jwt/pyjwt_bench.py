#!/usr/bin/python3
"""PyJWT doing what bench_jwt measures: decode + verify signature + check exp/nbf/iat/iss/aud.
Prints one line per algorithm: "<alg> <verifications per CPU second>" (single thread). CPU time
(time.process_time), as Google Benchmark's CPU column for bench_jwt, so the ratio holds on a busy
machine. An optional argument sets the seconds of CPU time per algorithm (default 1)."""
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

now = int(time.time())
claims = {"sub": "alice", "iss": "bulwark", "aud": "api", "iat": now, "nbf": now, "exp": now + 900,
          "jti": "0123456789abcdefghijkl", "type": "access", "fresh": True}
hs_key = b"k" * 32
es_key = ec.generate_private_key(ec.SECP256R1())
ed_key = ed25519.Ed25519PrivateKey.generate()
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
cases = [("HS256", hs_key, hs_key), ("ES256", es_key, es_key.public_key()),
         ("EdDSA", ed_key, ed_key.public_key())]
for alg, sign_key, verify_key in cases:
    token = jwt.encode(claims, sign_key, algorithm=alg)
    n, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(100):
            jwt.decode(token, verify_key, algorithms=[alg], audience="api", issuer="bulwark")
        n += 100
    print(alg, int(n / (time.process_time() - start)))
