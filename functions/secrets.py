"""Secrets from SSM Parameter Store: the environment names the parameters, never the values.

On Lambda the stack sets ``PORTAL_SECRET_PARAMETER``, ``STRIPE_SECRET_KEY_PARAMETER`` and
``STRIPE_WEBHOOK_SECRET_PARAMETER``; one GetParameters call (decrypted) at start-up fills in
``PORTAL_SECRET``, ``STRIPE_SECRET_KEY`` and ``STRIPE_WEBHOOK_SECRET``. Locally none is set
and nothing here runs (boto3 is not even imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# parameter-name variable -> the variable its value fills
PARAMETERS = {
    "PORTAL_SECRET_PARAMETER": "PORTAL_SECRET",
    "STRIPE_SECRET_KEY_PARAMETER": "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET_PARAMETER": "STRIPE_WEBHOOK_SECRET",
}


class SecretsError(RuntimeError):
    """A named parameter could not be read; the message names it."""


def names_parameters(env: Mapping[str, str]) -> bool:
    return any(env.get(name) for name in PARAMETERS)


def resolve_secrets(env: Mapping[str, str], client: Any = None) -> dict[str, str]:
    """``env`` with each secret whose parameter it names read from SSM.

    A secret already set in ``env`` is kept (its parameter is not read).
    """
    wanted = {
        variable: env[name]
        for name, variable in PARAMETERS.items()
        if env.get(name) and not env.get(variable)
    }
    if not wanted:
        return dict(env)
    if client is None:
        import boto3  # lazily: only a deployed function names parameters

        client = boto3.client(
            "ssm",
            region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=env.get("AWS_ENDPOINT_URL"),
        )
    names = sorted(set(wanted.values()))
    try:
        response = client.get_parameters(Names=names, WithDecryption=True)
    except Exception as error:  # any failure here stops start-up: say which parameters
        raise SecretsError(f"reading SSM parameters {', '.join(names)} failed: {error}") from error
    if response.get("InvalidParameters"):
        missing = ", ".join(sorted(response["InvalidParameters"]))
        raise SecretsError(f"SSM has no parameter {missing} (set it with put-parameter)")
    values = {p["Name"]: p["Value"] for p in response["Parameters"]}
    return {**env, **{variable: values[name] for variable, name in wanted.items()}}
