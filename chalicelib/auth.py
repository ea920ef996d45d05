"""Who is calling: a Cognito user pool token, verified here, and the moderators group.

Verified in the route rather than by an API Gateway Cognito authorizer, which `chalice
local` does not enforce, and so that a 401 reaches the dashboard with CORS headers and it
can ask the moderator to sign in again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.http import Forbidden, ServiceUnavailable, Unauthorized

if TYPE_CHECKING:
    from jwt import PyJWKClient


@dataclass(frozen=True)
class Moderator:
    user_id: str  # the user pool's `sub`: stable, unlike the username
    username: str


def user_pool_issuer(user_pool_id: str) -> str:
    region = user_pool_id.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_client(url: str) -> PyJWKClient:
    """The user pool's signing keys, fetched once and cached (refetched for an unknown key)."""
    from jwt import PyJWKClient  # imported on first use: the thumbnail handler never needs it

    return PyJWKClient(url, timeout=5)


class CognitoVerifier:
    """Checks a user pool ID or access token: signature (JWKS), issuer, client, expiry, group."""

    def __init__(
        self, jwks: PyJWKClient, *, issuer: str, client_ids: Collection[str], group: str
    ) -> None:
        self._jwks = jwks
        self._issuer = issuer
        self._client_ids = frozenset(client_ids)
        self._group = group

    def moderator(self, authorization: str | None) -> Moderator:
        """The signed-in moderator, or Unauthorized (401) / Forbidden (403)."""
        import jwt
        from jwt import PyJWKClientConnectionError, PyJWKClientError

        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("sign in: send the user pool token as 'Authorization: Bearer …'")
        token = token.strip()
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
        except PyJWKClientConnectionError as error:
            raise ServiceUnavailable(f"cannot fetch the user pool's keys: {error}") from error
        except (PyJWKClientError, jwt.InvalidTokenError) as error:
            raise Unauthorized(f"the token is not valid: {error}") from error
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("the session has expired: sign in again") from error
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the token is not valid: {error}") from error

        # ID tokens name the app client in `aud`, access tokens in `client_id`.
        token_use = claims["token_use"]
        client = {"id": claims.get("aud"), "access": claims.get("client_id")}.get(token_use)
        if client not in self._client_ids:
            raise Unauthorized("the token was not issued to this application")
        username = claims.get("cognito:username") or claims.get("username") or claims["sub"]
        if self._group not in claims.get("cognito:groups", []):
            raise Forbidden(f"{username} is not in the {self._group} group")
        return Moderator(user_id=claims["sub"], username=username)
