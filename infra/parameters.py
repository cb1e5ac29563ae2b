"""The secrets in SSM Parameter Store (SecureString): the stack names them, the deploy fills
them from the environment when given, and the build and the functions share PORTAL_SECRET."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from infra.aws import Aws, DeployError
from infra.template import SECRET_PARAMETERS, parameter_name
from site_builder.tokens import DEVELOPMENT_SECRET, SecretError, portal_secret

Say = Callable[[str], None]


def sync_secrets(aws: Aws, stack: str, env: Mapping[str, str], say: Say) -> str:
    """Store each secret the environment sets (only when it differs); returns PORTAL_SECRET.

    PORTAL_SECRET makes every portal URL, so the build and the deployed functions must use
    the same one: from the environment, else the one a previous deploy stored.
    """
    ssm = aws.client("ssm")
    names = {variable: parameter_name(stack, variable) for variable in SECRET_PARAMETERS}
    answer = ssm.get_parameters(Names=list(names.values()), WithDecryption=True)
    stored = {p["Name"]: p["Value"] for p in answer["Parameters"]}
    for variable, name in names.items():
        value = env.get(variable, "")
        if variable == "PORTAL_SECRET" and value:
            _check_portal_secret(value)
        if value and stored.get(name) != value:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
            say(f"SSM {name}: {'updated' if name in stored else 'stored'} from ${variable}")
            stored[name] = value
    for variable, name in names.items():
        if name not in stored and variable != "PORTAL_SECRET":
            say(
                f"warning: SSM has no {name} yet: payments fail until it is set "
                f"(deploy again with {variable} set, or `aws ssm put-parameter --type "
                f"SecureString --name {name} --value ...`)"
            )
    secret = stored.get(names["PORTAL_SECRET"])
    if not secret:
        raise DeployError(
            "PORTAL_SECRET is not set and SSM has no "
            f"{names['PORTAL_SECRET']}: set PORTAL_SECRET (32+ random bytes, e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) and deploy again"
        )
    return secret


def _check_portal_secret(value: str) -> None:
    if value == DEVELOPMENT_SECRET:
        raise DeployError(
            "PORTAL_SECRET is the development secret: anyone could compute every portal URL; "
            "set a random one (32+ bytes) to deploy"
        )
    try:
        portal_secret({"PORTAL_SECRET": value})  # the build's own checks, and their words
    except SecretError as exc:
        raise DeployError(str(exc)) from None
