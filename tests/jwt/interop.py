#!/usr/bin/python3
"""Interop with PyJWT and jwcrypto, both directions (run by interop_test.cpp).

usage: interop.py DIR
DIR holds keys.json ([{alg, kid, private_pem | hmac_hex, public_pem}]), bulwark_tokens.json
([{alg, kid, token}]) and jwks.json. Every Bulwark token must verify with both libraries
(keys from PEM, and the public ones also from Bulwark's JWKS); then both libraries sign a
token per algorithm into python_tokens.json for the C++ side to verify. Exit 1 on any failure.
"""
import json
import sys
import time
import uuid

import jwt as pyjwt
from jwcrypto import jwk, jwt as jcjwt

ISS, AUD = "bulwark", "api"


def pyjwt_key(entry, private):
    if "hmac_hex" in entry:
        return bytes.fromhex(entry["hmac_hex"])
    return entry["private_pem" if private else "public_pem"]


def jwcrypto_key(entry, private):
    if "hmac_hex" in entry:
        return jwk.JWK(kty="oct", k=pyjwt.utils.base64url_encode(bytes.fromhex(entry["hmac_hex"])).decode())
    return jwk.JWK.from_pem(entry["private_pem" if private else "public_pem"].encode())


def main(directory):
    keys = {k["alg"]: k for k in json.load(open(f"{directory}/keys.json"))}
    tokens = json.load(open(f"{directory}/bulwark_tokens.json"))
    jwks = jwk.JWKSet.from_json(open(f"{directory}/jwks.json").read())
    py_jwks = pyjwt.PyJWKSet.from_json(open(f"{directory}/jwks.json").read())
    failures = []
    for t in tokens:
        alg, token, entry = t["alg"], t["token"], keys[t["alg"]]
        try:
            claims = pyjwt.decode(token, pyjwt_key(entry, False), algorithms=[alg], audience=AUD, issuer=ISS)
            assert claims["sub"] == "interop-bulwark", claims
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failures.append(f"PyJWT refused Bulwark {alg}: {e!r}")
        try:
            checked = jcjwt.JWT(jwt=token, key=jwcrypto_key(entry, False), algs=[alg],
                                check_claims={"iss": ISS, "aud": AUD, "exp": None})
            assert json.loads(checked.claims)["sub"] == "interop-bulwark"
        except Exception as e:  # noqa: BLE001
            failures.append(f"jwcrypto refused Bulwark {alg}: {e!r}")
        if "hmac_hex" not in entry:
            try:
                jcjwt.JWT(jwt=token, key=jwks.get_key(entry["kid"]), algs=[alg])
                pyjwt.decode(token, py_jwks[entry["kid"]].key, algorithms=[alg], audience=AUD, issuer=ISS)
            except Exception as e:  # noqa: BLE001
                failures.append(f"JWKS key refused Bulwark {alg}: {e!r}")
    out = []
    now = int(time.time())
    for alg, entry in keys.items():
        claims = {"sub": "interop-python", "iss": ISS, "aud": AUD, "iat": now, "nbf": now,
                  "exp": now + 300, "jti": uuid.uuid4().hex, "type": "access"}
        token = pyjwt.encode(claims, pyjwt_key(entry, True), algorithm=alg, headers={"kid": entry["kid"]})
        out.append({"alg": alg, "lib": "pyjwt", "token": token})
        signed = jcjwt.JWT(header={"alg": alg, "kid": entry["kid"], "typ": "JWT"}, claims=claims)
        signed.make_signed_token(jwcrypto_key(entry, True))
        out.append({"alg": alg, "lib": "jwcrypto", "token": signed.serialize()})
    json.dump(out, open(f"{directory}/python_tokens.json", "w"))
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
