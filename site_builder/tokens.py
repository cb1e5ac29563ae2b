"""Portal tokens: the capability in every client's portal URL.

``token = base64url(HMAC-SHA256(secret, "<client-id>:<token_version>"))[:32]``
gives 192 bits; stable across builds, revoked by bumping ``token_version``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import warnings

# Only for the embedded sample and local runs: the build warns when it is used.
DEVELOPMENT_SECRET = "dev-only-portal-secret-do-not-use-in-production-0001"
MIN_SECRET_BYTES = 16  # 128 bits
MAKE_ONE = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SecretError(ValueError):
    pass


class DevelopmentSecretWarning(UserWarning):
    pass


def portal_secret(environ: dict[str, str] | None = None) -> str:
    """``PORTAL_SECRET`` from the environment, or the development one with a warning."""
    env = os.environ if environ is None else environ
    secret = env.get("PORTAL_SECRET", "")
    if not secret:
        warnings.warn(
            "PORTAL_SECRET is not set: using the development secret. "
            "Anyone who knows it can compute every portal URL; set PORTAL_SECRET "
            "(32+ random bytes) before publishing.",
            DevelopmentSecretWarning,
            stacklevel=2,
        )
        return DEVELOPMENT_SECRET
    try:
        size = len(secret.encode())
    except UnicodeEncodeError:  # os.environ keeps bytes that are not UTF-8 as lone surrogates
        raise SecretError(f"PORTAL_SECRET is not UTF-8 text; {MAKE_ONE}") from None
    if size < MIN_SECRET_BYTES:
        raise SecretError(
            f"PORTAL_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {size}); {MAKE_ONE}"
        )
    return secret


def client_token(secret: str, client_id: str, token_version: int) -> str:
    digest = hmac.new(
        secret.encode(), f"{client_id}:{token_version}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def token_matches(secret: str, client_id: str, token_version: int, token: str) -> bool:
    # as bytes: compare_digest refuses text that is not ASCII, and a token comes from a form
    expected = client_token(secret, client_id, token_version).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", "surrogateescape"))


def secret_fingerprint(secret: str) -> str:
    """A value that changes with the secret but reveals nothing of it (for the manifest)."""
    return hmac.new(secret.encode(), b"clientportal manifest", hashlib.sha256).hexdigest()[:16]
