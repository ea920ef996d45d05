"""Who is calling: a Cognito user pool token, verified here, and their role (its groups).

Verified in the route rather than by an API Gateway Cognito authorizer, which `chalice
local` does not enforce, and so that a 401 reaches the dashboard with CORS headers and it
can ask the moderator to sign in again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import dependencies
from chalicelib.core.config import user_pool_issuer
from chalicelib.core.errors import BadRequest, Forbidden, ServiceUnavailable, Unauthorized
from chalicelib.core.identity import ROLES, Moderator
from chalicelib.core.schema import Text

if TYPE_CHECKING:
    from jwt import PyJWKClient


# A user pool token is a few KB; these bound what a forged one can make us parse.
MAX_TOKEN_CHARS = 16 * 1024
MAX_NAME_CHARS = 128  # Cognito usernames; IVS chat user ids
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def jwks_client(url: str) -> PyJWKClient:
    """The user pool's signing keys, fetched once and cached (refetched for an unknown key)."""
    from jwt import PyJWKClient  # imported on first use: the thumbnail handler never needs it

    return PyJWKClient(url, timeout=5)


class CognitoVerifier:
    """Checks a user pool ID or access token: signature (JWKS), issuer, client, expiry; and
    names the caller's role: the highest of the roles whose group (`groups`, role -> group)
    they are in."""

    def __init__(
        self,
        jwks: PyJWKClient,
        *,
        issuer: str,
        client_ids: Collection[str],
        groups: Mapping[str, str],
    ) -> None:
        self._jwks = jwks
        self._issuer = issuer
        self._client_ids = frozenset(client_ids)
        self._groups = {role: groups[role] for role in ROLES}

    def moderator(self, authorization: str | None) -> Moderator:
        """The signed-in moderator, or Unauthorized (401) / Forbidden (403)."""
        import jwt
        from jwt import PyJWKClientConnectionError, PyJWKClientError

        scheme, _, token = (authorization if isinstance(authorization, str) else "").partition(" ")
        if scheme.strip().lower() != "bearer" or not token.strip():
            raise Unauthorized("sign in: send the user pool token as 'Authorization: Bearer …'")
        token = token.strip()
        if len(token) > MAX_TOKEN_CHARS or not _JWT.fullmatch(token):
            raise Unauthorized("the token is not valid: it is not a JSON Web Token")
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
        return self._moderator(claims)

    def _moderator(self, claims: Mapping[str, Any]) -> Moderator:
        """The moderator the verified claims name, each claim checked for its type."""
        # ID tokens name the app client in `aud`, access tokens in `client_id` (Cognito).
        token_use = claims["token_use"]
        if token_use == "id":
            clients = _audience(claims.get("aud"))
        elif token_use == "access":
            clients = [_name(claims, "client_id", required=True)]
        else:
            raise Unauthorized("the token is not valid: token_use must be 'id' or 'access'")
        if not self._client_ids.intersection(clients):
            raise Unauthorized("the token was not issued to this application")
        user_id = _name(claims, "sub", required=True)
        username = _name(claims, "cognito:username") or _name(claims, "username") or user_id
        groups = claims.get("cognito:groups", [])
        if not (isinstance(groups, list) and all(isinstance(group, str) for group in groups)):
            raise Unauthorized("the token is not valid: cognito:groups must be a list of names")
        # membership of the list, never a substring; the highest role wins
        roles = [role for role in ROLES if self._groups[role] in groups]
        if not roles:
            names = [self._groups[role] for role in ROLES]
            raise Forbidden(
                f"{username} is not in the {', '.join(names[:-1])} or {names[-1]} group"
            )
        return Moderator(user_id=user_id, username=username, role=roles[-1])


def _audience(aud: Any) -> list[str]:
    """`aud`: one string or a list of strings (RFC 7519, 4.1.3)."""
    audiences = [aud] if isinstance(aud, str) else aud
    if not (isinstance(audiences, list) and all(isinstance(a, str) for a in audiences)):
        raise Unauthorized("the token is not valid: aud must be a string or a list of strings")
    return audiences


def _name(claims: Mapping[str, Any], claim: str, *, required: bool = False) -> str | None:
    """A claim that names someone or something: text of 1 to MAX_NAME_CHARS characters."""
    value = claims.get(claim)
    if value is None and not required:
        return None
    try:
        return Text(MAX_NAME_CHARS).parse(value, claim)
    except BadRequest as error:
        raise Unauthorized(f"the token is not valid: {error.message}") from None


@dependencies.once
def verifier() -> CognitoVerifier:
    """The stage's verifier of user pool tokens."""
    config = dependencies.settings()
    return CognitoVerifier(
        jwks_client(config.jwks_url),
        issuer=user_pool_issuer(config.user_pool_id),
        client_ids=config.app_client_ids,
        groups=config.role_groups,
    )
