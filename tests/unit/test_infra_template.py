"""The CloudFormation template: lint-clean, and it says what the functions and the store expect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from functions.store.dynamodb import create_table
from infra import template as templates
from local.emulated import EMULATED

RESOURCES = templates.load()["Resources"]


def _of_type(kind: str) -> dict[str, Any]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def test_cfn_lint_finds_nothing() -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(Path(templates.TEMPLATE_PATH), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


class _Recorder:
    """Only to read the exact request create_table makes (no server needed for that)."""

    def __init__(self) -> None:
        self.request: dict[str, Any] = {}

        class Exceptions:
            ResourceInUseException = KeyError

        self.exceptions = Exceptions

    def create_table(self, **request: Any) -> None:
        self.request = request

    def get_waiter(self, name: str) -> Any:
        return type("Waiter", (), {"wait": lambda self, **kw: None})()


def test_the_table_is_exactly_the_one_the_store_creates() -> None:
    recorder = _Recorder()
    create_table(recorder, "t")
    made = recorder.request
    table = RESOURCES["Table"]["Properties"]
    assert table["BillingMode"] == made["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes"):
        assert table[key] == made[key], key
    assert RESOURCES["Table"]["DeletionPolicy"] == "Retain"


def test_the_function_is_python_312_on_arm64_with_the_contracts_environment() -> None:
    function = RESOURCES["Function"]["Properties"]
    assert function["Runtime"] == "python3.12" and function["Architectures"] == ["arm64"]
    assert function["Handler"] == "functions.handler.handler"
    variables = function["Environment"]["Variables"]
    assert set(variables) == {
        "PORTAL_TABLE",
        "PORTAL_SITE_BUCKET",
        "PORTAL_DATA_BUCKET",
        "PORTAL_DISTRIBUTION_ID",
        "PORTAL_TIMEZONE",
        "MAIL_BACKEND",
        "PORTAL_SECRET_PARAMETER",
        "STRIPE_SECRET_KEY_PARAMETER",
        "STRIPE_WEBHOOK_SECRET_PARAMETER",
    }
    for variable in templates.SECRET_PARAMETERS:  # names only, the ones the role may read
        name = variables[f"{variable}_PARAMETER"]["Fn::Sub"]
        assert name == templates.parameter_name("${AWS::StackName}", variable)
    assert variables["PORTAL_DATA_BUCKET"] == {"Ref": "DataBucket"}
    assert variables["PORTAL_SITE_BUCKET"] == {"Ref": "SiteBucket"}
    assert variables["MAIL_BACKEND"] == "ses"  # /var/task is read-only: no mail folder there


def test_no_secret_value_is_in_the_template() -> None:
    text = templates.TEMPLATE_PATH.read_text(encoding="utf-8")
    for marker in ("sk_live", "sk_test", "whsec_", "PORTAL_SECRET:", "dev-only-portal-secret"):
        assert marker not in text


def test_the_routes_are_the_ones_of_the_design() -> None:
    routes = {r["Properties"]["RouteKey"] for r in _of_type("AWS::ApiGatewayV2::Route").values()}
    assert routes == {"POST /checkout", "POST /webhooks/stripe", "GET /health"}
    api = RESOURCES["HttpApi"]["Properties"]
    assert "*" not in api["CorsConfiguration"]["AllowOrigins"]
    stage = RESOURCES["HttpApiStage"]["Properties"]["DefaultRouteSettings"]
    assert stage["ThrottlingRateLimit"] > 0 and stage["ThrottlingBurstLimit"] > 0


def test_the_schedules_invoke_the_function_with_the_job_to_do() -> None:
    rules = _of_type("AWS::Events::Rule")
    jobs = {
        target["Input"]: rule["Properties"]["ScheduleExpression"]
        for rule in rules.values()
        for target in rule["Properties"]["Targets"]
    }
    assert jobs == {
        '{"job": "drain"}': "rate(5 minutes)",
        '{"job": "remind"}': "cron(0 15 * * ? *)",
    }
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert target["Arn"] == {"Fn::GetAtt": ["Function", "Arn"]}
            assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


def test_the_site_is_private_behind_cloudfront_with_the_security_headers() -> None:
    bucket = RESOURCES["SiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    origin = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    headers = RESOURCES["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert (
        "default-src 'none'"
        in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    )
    custom = {h["Header"]: h["Value"] for h in headers["CustomHeadersConfig"]["Items"]}
    assert custom["X-Robots-Tag"].startswith("noindex")
    assets = RESOURCES["AssetsCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert assets["MinTTL"] == assets["DefaultTTL"] == 31536000


def test_every_type_the_emulator_handles_is_in_the_template() -> None:
    used = {r["Type"] for r in RESOURCES.values()}
    assert set(EMULATED) <= used
