"""PORTAL_SECRET problems are SecretErrors that say what to do, never another exception."""

from __future__ import annotations

import pytest

from site_builder.tokens import MIN_SECRET_BYTES, SecretError, portal_secret

MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def test_a_short_secret_says_how_to_make_one() -> None:
    with pytest.raises(SecretError) as exc:
        portal_secret({"PORTAL_SECRET": "short"})
    assert f"at least {MIN_SECRET_BYTES} bytes" in str(exc.value)
    assert MAKE_ONE in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_secret_that_is_not_utf8_is_a_secret_error() -> None:
    # os.environ hands bytes that are not UTF-8 over as lone surrogates
    with pytest.raises(SecretError, match="not UTF-8"):
        portal_secret({"PORTAL_SECRET": "0123456789abcdef\udcff"})


def test_a_good_secret_is_returned_as_it_is() -> None:
    secret = "é" * 8  # 16 bytes: bytes count, not characters
    assert portal_secret({"PORTAL_SECRET": secret}) == secret
