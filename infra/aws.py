"""One AWS connection for a deploy: the region checked, credentials checked, clients shared.

``endpoint_url`` points every client at an emulator (moto's server in the tests).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

# Every regional service the stack uses (botocore's name: what people call it); a region must
# offer all of them.
SERVICES = {
    "cloudformation": "CloudFormation",
    "s3": "S3",
    "lambda": "Lambda",
    "dynamodb": "DynamoDB",
    "apigatewayv2": "API Gateway (HTTP APIs)",
    "events": "EventBridge",
    "sqs": "SQS",
    "ssm": "SSM Parameter Store",
    "sesv2": "SES",
    "logs": "CloudWatch Logs",
}
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

NO_CREDENTIALS = (
    "no AWS credentials found: run `aws configure` (or `aws sso login`), or set "
    "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; then deploy again"
)


class DeployError(Exception):
    """A deploy or destroy step failed; the message says what and how to fix it."""


class Aws:
    """Clients for one region (and endpoint), made once each; boto3 clients are thread-safe."""

    def __init__(self, session: Any, region: str, endpoint_url: str | None) -> None:
        self.session, self.region, self.endpoint_url = session, region, endpoint_url
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            self._clients[service] = self.session.client(
                service,
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=Config(retries={"mode": "standard", "max_attempts": 6}),
            )
        return self._clients[service]

    @cached_property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    @property
    def partition(self) -> str:
        return self.session.get_partition_for_region(self.region)


def connect(region: str | None, endpoint_url: str | None = None) -> Aws:
    """Check the region and the credentials before anything is built or uploaded."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    session = boto3.Session(region_name=region) if region else boto3.Session()
    if not session.region_name:
        raise DeployError(
            "no AWS region: pass --region (e.g. --region eu-west-1) or set AWS_REGION"
        )
    check_region(session, session.region_name)
    if session.get_credentials() is None:
        raise DeployError(NO_CREDENTIALS)
    aws = Aws(session, session.region_name, endpoint_url)
    try:
        _ = aws.account_id
    except NoCredentialsError:
        raise DeployError(NO_CREDENTIALS) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise DeployError(
            f"AWS refused the credentials ({code}): refresh them (`aws sso login`, or new "
            "access keys), then deploy again"
        ) from None
    except BotoCoreError as error:
        raise DeployError(f"cannot reach AWS in {session.region_name}: {error}") from None
    return aws


def check_region(session: Any, region: str) -> None:
    """A clear error for a misspelt region, or one lacking a service the stack needs."""
    offered = {
        service: {r for p in PARTITIONS for r in session.get_available_regions(service, p)}
        for service in SERVICES
    }
    if region not in offered["lambda"]:
        known = sorted(offered["lambda"])
        raise DeployError(f"unknown AWS region {region!r} (known: {', '.join(known)})")
    missing = [SERVICES[service] for service in SERVICES if region not in offered[service]]
    if missing:
        everywhere = sorted(set.intersection(*offered.values()))
        raise DeployError(
            f"region {region} has no {', '.join(missing)}, which the portal needs; "
            f"choose one of: {', '.join(everywhere)}"
        )
