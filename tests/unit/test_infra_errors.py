"""The deploy's errors name what failed and how to go on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from infra.aws import DeployError, check_region, connect
from infra.deploy import check_stack_name
from infra.stack import StackFailed, check_usable, describe, failure_reason


def test_no_credentials_is_one_line_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance for a role
    with pytest.raises(DeployError) as caught:
        connect("eu-west-1")
    message = str(caught.value)
    assert "\n" not in message and "no AWS credentials" in message and "aws configure" in message


def test_a_misspelt_region_or_one_without_the_services_is_refused() -> None:
    session = boto3.Session()
    with pytest.raises(DeployError, match=r"unknown AWS region 'eu-wset-1'"):
        check_region(session, "eu-wset-1")
    # botocore's endpoint data lists no SES v2 in ap-east-1
    with pytest.raises(DeployError, match=r"region ap-east-1 has no SES.*us-east-1"):
        check_region(session, "ap-east-1")
    check_region(session, "eu-west-1")


@pytest.mark.parametrize("name", ["Portal", "portal_1", "1portal", "x" * 31, ""])
def test_stack_names_must_make_bucket_names(name: str) -> None:
    with pytest.raises(DeployError, match="stack name"):
        check_stack_name(name)


class _FailedStack:
    """moto never fails a stack (it has no rollback), so this stands in for CloudFormation's
    answers about one that did: a stack in ROLLBACK_COMPLETE and its events, newest first."""

    class exceptions:  # boto3 spells it so
        ClientError = RuntimeError

    def __init__(self, status: str = "ROLLBACK_COMPLETE") -> None:
        self.status = status

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackStatus": self.status, "StackId": "id", "StackName": StackName}]}

    def get_paginator(self, name: str) -> Any:
        def event(logical: str, status: str, reason: str | None, kind: str) -> dict[str, Any]:
            return {
                "LogicalResourceId": logical,
                "ResourceStatus": status,
                "ResourceStatusReason": reason,
                "ResourceType": kind,
                "Timestamp": datetime.now(UTC),
            }

        events = [
            event("portal", "ROLLBACK_COMPLETE", None, "AWS::CloudFormation::Stack"),
            event("Table", "DELETE_COMPLETE", None, "AWS::DynamoDB::Table"),
            event("Table", "CREATE_FAILED", "Resource creation cancelled", "AWS::DynamoDB::Table"),
            event(
                "Function",
                "CREATE_FAILED",
                "Resource handler returned message: The runtime parameter of python3.12 is "
                "not supported for arm64 in this region",
                "AWS::Lambda::Function",
            ),
            event("portal", "CREATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"),
            event("portal", "CREATE_COMPLETE", None, "AWS::CloudFormation::Stack"),
        ]
        return type("P", (), {"paginate": lambda self, **kw: [{"StackEvents": events}]})()


def test_a_failed_stack_names_the_failing_resource_and_its_reason() -> None:
    cfn = _FailedStack()
    reason = failure_reason(cfn, "portal")
    assert reason.startswith("Function (AWS::Lambda::Function) CREATE_FAILED: ")
    assert "not supported for arm64" in reason
    with pytest.raises(StackFailed) as caught:
        check_usable(cfn, describe(cfn, "portal"))
    message = str(caught.value)
    assert "ROLLBACK_COMPLETE" in message and "Function" in message and "portal destroy" in message


def test_a_busy_stack_is_left_alone() -> None:
    cfn = _FailedStack("UPDATE_IN_PROGRESS")
    with pytest.raises(DeployError, match="busy"):
        check_usable(cfn, describe(cfn, "portal"))


def test_the_deploy_command_says_what_is_missing_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from typer.testing import CliRunner

    from portal.cli import app

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(app, ["deploy", "--region", "eu-west-1", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "deploy failed: no AWS credentials found" in result.output
    assert not (tmp_path / "public").exists()  # nothing was built before the check


@pytest.mark.parametrize(
    ("secret", "said"),
    [("short", "at least 16 bytes"), ("\udcff" * 40, "not UTF-8"), ("x" * 40, None)],
)
def test_a_deploys_secret_is_checked_as_the_builds_is(secret: str, said: str | None) -> None:
    from infra.parameters import _check_portal_secret

    if said is None:
        _check_portal_secret(secret)
        return
    with pytest.raises(DeployError, match=said):
        _check_portal_secret(secret)
