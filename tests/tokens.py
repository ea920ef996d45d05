"""User pool tokens for tests: RS256 JWTs shaped like Cognito's, and their JWKS over HTTP."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from support import APP_CLIENT_ID, USER_POOL_ID

ISSUER = f"https://cognito-idp.us-west-2.amazonaws.com/{USER_POOL_ID}"
MODERATOR_SUB = "6b2f3c1e-4d5a-4e7b-9c8d-0a1b2c3d4e5f"
KID = "test-key-1"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Jwks:
    """Serves the public key as a user pool does, at /<pool id>/.well-known/jwks.json."""

    def __init__(self) -> None:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]})
        self.fetches = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/{USER_POOL_ID}/.well-known/jwks.json"


def claims_now(**overrides) -> dict:
    """The claims of a moderator's ID token, issued now; a None override drops a claim."""
    now = int(time.time())
    claims = {
        "sub": MODERATOR_SUB,
        "aud": APP_CLIENT_ID,
        "iss": ISSUER,
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "cognito:username": "maria",
        "cognito:groups": ["moderators"],
        "email": "maria@example.com",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def id_token(key=SIGNING_KEY, kid: str = KID, **overrides) -> str:
    return jwt.encode(claims_now(**overrides), key, algorithm="RS256", headers={"kid": kid})


def signed_in(token: str | None = None, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or id_token()}", **headers}


# Each role's group, as the app's defaults name them (TRIAGE_GROUP, MODERATORS_GROUP,
# ADMINS_GROUP); `id_token()` is a moderator's.
GROUPS = {"triage": "triage", "moderator": "moderators", "admin": "admins"}


def role_token(role: str | None, **overrides) -> str:
    """An ID token of a user with `role` (None: in none of the roles' groups)."""
    groups = [GROUPS[role]] if role else ["viewers"]
    return id_token(**{"cognito:groups": groups, **overrides})


def signed_payload(payload: bytes, key=SIGNING_KEY, kid: str = KID) -> str:
    """A validly signed JWT whose payload is exactly `payload`: claims no JWT library writes
    (lone surrogates, duplicate names, an array instead of an object)."""
    return jwt.api_jws.encode(payload, key, algorithm="RS256", headers={"kid": kid})
