"""Secrets from SSM Parameter Store, read with the real boto3 from moto's server."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.config import services_from_env
from functions.secrets import SecretsError, resolve_secrets
from tests.integration.conftest import aws_client

NAMES = {
    "PORTAL_SECRET_PARAMETER": "/clientportal/t/portal-secret",
    "STRIPE_SECRET_KEY_PARAMETER": "/clientportal/t/stripe-secret-key",
    "STRIPE_WEBHOOK_SECRET_PARAMETER": "/clientportal/t/stripe-webhook-secret",
}
VALUES = {
    "/clientportal/t/portal-secret": "portal-secret-from-ssm-0123456789abcdef",
    "/clientportal/t/stripe-secret-key": "sk_test_from_ssm",
    "/clientportal/t/stripe-webhook-secret": "whsec_from_ssm",
}


@pytest.fixture(scope="module")
def ssm(moto_endpoint: str) -> object:
    client = aws_client("ssm", moto_endpoint)
    for name, value in VALUES.items():
        client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    return client


def test_the_named_parameters_fill_in_the_secrets(ssm: object) -> None:
    env = resolve_secrets({"KEEP": "1", **NAMES}, ssm)
    assert env["PORTAL_SECRET"] == VALUES["/clientportal/t/portal-secret"]
    assert env["STRIPE_SECRET_KEY"] == "sk_test_from_ssm"
    assert env["STRIPE_WEBHOOK_SECRET"] == "whsec_from_ssm"
    assert env["KEEP"] == "1"


def test_a_missing_parameter_is_named(ssm: object) -> None:
    with pytest.raises(SecretsError, match="/clientportal/t/nope"):
        resolve_secrets({"PORTAL_SECRET_PARAMETER": "/clientportal/t/nope"}, ssm)


def test_without_parameter_names_nothing_is_read() -> None:
    env = {"PORTAL_SECRET": "local", "PORTAL_STORE": "x"}
    assert resolve_secrets(env, client=object()) == env  # the client is never touched


def test_services_from_the_environment_of_a_deployed_function(
    ssm: object, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env = {
        **NAMES,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PORTAL_STORE": str(tmp_path / "store.sqlite3"),
    }
    services = services_from_env(env)
    assert services.portal_secret == VALUES["/clientportal/t/portal-secret"]
    assert services.webhook_secret == "whsec_from_ssm"
    assert services.sessions.api_key == "sk_test_from_ssm"  # type: ignore[attr-defined]
