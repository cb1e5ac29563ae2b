import base64

from site_builder.tokens import client_token, token_matches


def test_token_is_stable_url_safe_and_long_enough() -> None:
    token = client_token("s" * 32, "acme", 1)
    assert token == client_token("s" * 32, "acme", 1)
    assert len(base64.urlsafe_b64decode(token + "==")) * 8 >= 128
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_bumping_the_version_or_changing_the_secret_revokes_it() -> None:
    token = client_token("s" * 32, "acme", 1)
    assert client_token("s" * 32, "acme", 2) != token
    assert client_token("t" * 32, "acme", 1) != token
    assert client_token("s" * 32, "acme2", 1) != token
    assert token_matches("s" * 32, "acme", 1, token)
    assert not token_matches("s" * 32, "acme", 2, token)


def test_a_token_of_any_text_is_refused_never_raises() -> None:
    secret = "s" * 32
    good = client_token(secret, "acme", 1)
    assert token_matches(secret, "acme", 1, good)
    for odd in ("", "é" * 32, "\udcff" * 32, good + "x", good.upper()):
        assert not token_matches(secret, "acme", 1, odd)
