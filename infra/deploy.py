"""``portal deploy`` and ``portal destroy``: the steps in order, each in its own module.

deploy: check credentials and region -> secrets to SSM -> build the site (incremental) ->
Lambda package (cached) -> upload it if new -> stack through a change set (none when nothing
changed) -> ledger to DynamoDB (changed entries) -> sync public/ and the private data by
content hash -> invalidate the changed paths -> the three URLs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml

from functions.recorded import by_client, receipt_numbers
from functions.store.dynamodb import DynamoStore
from infra import package as lambda_package
from infra import stack as stacks
from infra import template as templates
from infra.aws import Aws, DeployError, connect
from infra.ledger import write_ledger
from infra.parameters import sync_secrets
from infra.sync import SyncReport, folder_files, invalidate, remote_hashes, sync
from site_builder.build import BuildReport
from site_builder.build import build as run_build
from site_builder.model import STRIPE_CHECKOUT
from site_builder.views import origin

Say = Callable[[str], None]
# Stack names become bucket names: lowercase, and short enough for the longest region.
STACK_NAME = re.compile(r"[a-z][a-z0-9-]{0,29}")
DATA_FILES = ("ledger.json", "manifest.json")


class StackAdapter(Protocol):
    """Makes, around the stack, what an endpoint's CloudFormation lacks (an emulator's).

    Real AWS needs none; ``local/emulated.py`` is the one for moto's server. It lives with the
    local system, above this package, and is handed in by the caller.
    """

    def before_stack(self) -> None: ...
    def stack_template(self) -> dict[str, Any]: ...
    def after_stack(self, physical_ids: dict[str, str]) -> None: ...
    def outputs(self) -> dict[str, str]: ...
    def destroy(self, say: Say) -> None: ...


AdapterFactory = Callable[[Aws, str, dict[str, Any], Mapping[str, str], Say], StackAdapter]


@dataclass
class DeployOptions:
    content: Path = Path("content")
    out: Path = Path(".")
    today: date | None = None
    stack: str = "clientportal"
    region: str | None = None
    endpoint_url: str | None = None
    cache: Path | None = None  # the Lambda package cache; default ~/.cache/clientportal
    force_build: bool = False
    adapter: AdapterFactory | None = None  # for an emulator's endpoint; None on real AWS


@dataclass
class DeployReport:
    build: BuildReport
    package: lambda_package.Package
    package_uploaded: bool
    stack_changed: bool
    site: SyncReport
    data: SyncReport
    ledger_written: int
    invalidated: list[str]
    urls: dict[str, str] = field(default_factory=dict)  # PortalUrl, ApiUrl, WebhookUrl
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def files_uploaded(self) -> int:
        return len(self.site.uploaded) + len(self.data.uploaded)


def check_stack_name(name: str) -> None:
    if not STACK_NAME.fullmatch(name):
        raise DeployError(
            f"stack name {name!r}: use 1-30 lowercase letters, digits and hyphens, starting "
            "with a letter (it names the site bucket)"
        )


def artifacts_bucket(aws: Aws) -> str:
    """The deploy's own bucket for Lambda packages, outside any stack (the stack needs it first)."""
    name = f"clientportal-artifacts-{aws.account_id}-{aws.region}"
    s3 = aws.client("s3")
    try:
        s3.head_bucket(Bucket=name)
        return name
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise DeployError(f"the artifacts bucket {name} is not usable: {error}") from None
    create: dict[str, Any] = {"Bucket": name}
    if aws.region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return name


def upload_package(aws: Aws, bucket: str, built: lambda_package.Package) -> tuple[str, bool]:
    """The package's key, and whether it had to be uploaded (content-addressed: once)."""
    key = f"lambda/{built.key}.zip"
    s3 = aws.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return key, False
    except s3.exceptions.ClientError:
        s3.upload_file(str(built.path), bucket, key)
        return key, True


def agency_settings(content: Path) -> dict[str, Any]:
    """What the stack needs from agency.yaml (already validated by the build)."""
    return yaml.safe_load((content / "agency.yaml").read_text(encoding="utf-8"))


def data_files(build_dir: Path) -> dict[str, Path]:
    """The private files the functions read: snapshots under clients/, ledger and manifest."""
    files = {f"clients/{p.name}": p for p in sorted((build_dir / "clients").glob("*.json"))}
    for name in DATA_FILES:
        files[name] = build_dir / name
    return files


def deploy(
    options: DeployOptions, env: Mapping[str, str] | None = None, say: Say = print
) -> DeployReport:
    env = os.environ if env is None else env
    check_stack_name(options.stack)
    aws = connect(options.region, options.endpoint_url)
    say(f"Deploying stack {options.stack} to {aws.region} (account {aws.account_id})")
    cfn = aws.client("cloudformation")
    stacks.check_usable(cfn, stacks.describe(cfn, options.stack))  # before building anything
    secret = sync_secrets(aws, options.stack, env, say)

    recorded, receipts = recorded_payments(aws, options.stack, say)
    built = run_build(
        options.content,
        options.out,
        options.today,
        secret=secret,
        force=options.force_build,
        recorded=recorded,
        receipts=receipts,
    )
    say(
        f"Built {built.invoices} invoices: {built.clients_rendered} clients rendered, "
        f"{built.clients_skipped} unchanged"
    )
    for aside in built.set_aside:
        say(f"warning: {aside}")
    package = lambda_package.build(cache=options.cache, say=say)
    say(f"Lambda package: {package.size / 2**20:.1f} MB zipped")
    code_bucket = artifacts_bucket(aws)
    code_key, package_uploaded = upload_package(aws, code_bucket, package)

    agency = agency_settings(options.content)
    parameters = {
        "CodeBucket": code_bucket,
        "CodeKey": code_key,
        "SenderEmail": str(agency["email"]),
        "PortalOrigin": origin(str(agency["portal_url"])),
        "ApiOrigin": origin(str(agency["api_url"])),
        "CheckoutOrigin": origin(str(agency.get("checkout_url") or STRIPE_CHECKOUT)),
        "Timezone": str(agency.get("timezone") or "UTC"),
    }
    template = templates.load()
    emulator = None
    if options.adapter is not None:
        emulator = options.adapter(aws, options.stack, template, parameters, say)
        emulator.before_stack()
        template = emulator.stack_template()
    changed = stacks.apply(cfn, options.stack, templates.dumps(template), parameters, say)
    if not changed:
        say(f"Stack {options.stack}: no change")
    if emulator is not None:
        emulator.after_stack(physical_ids(cfn, options.stack))
    outputs = _outputs(cfn, options.stack, emulator, say)

    s3 = aws.client("s3")
    build_dir = options.out / "build"
    written = write_ledger(
        aws.client("dynamodb"), s3, outputs["TableName"], outputs["DataBucketName"], build_dir
    )
    numbered = receipt_numbers(DynamoStore(outputs["TableName"], aws.client("dynamodb")))
    if numbered != receipts:
        # offline receipts numbered by the ledger's write: their pages, named by the numbers,
        # are rendered again before the site is uploaded (only those clients' pages)
        run_build(
            options.content,
            options.out,
            built.day,
            secret=secret,
            recorded=recorded,
            receipts=numbered,
        )
    site = sync(s3, outputs["SiteBucketName"], folder_files(options.out / "public"))
    data = sync(
        s3,
        outputs["DataBucketName"],
        data_files(build_dir),
        owned=lambda key: key.startswith("clients/"),
    )
    invalidated = invalidate(
        aws.client("cloudfront"), outputs["DistributionId"], site.changed + site.deleted
    )
    report = DeployReport(
        build=built,
        package=package,
        package_uploaded=package_uploaded,
        stack_changed=changed,
        site=site,
        data=data,
        ledger_written=written,
        invalidated=invalidated,
        urls={k: outputs[k] for k in ("PortalUrl", "ApiUrl", "WebhookUrl")},
        outputs=outputs,
    )
    for line in summary(report, str(agency["api_url"])):
        say(line)
    return report


def recorded_payments(
    aws: Aws, stack: str, say: Say
) -> tuple[dict[str, list[Any]], dict[str, dict[str, str]]]:
    """The payments the deployed functions recorded, by client, and the receipt numbers the
    table gave offline payments: the build shows them too, so a deploy never puts back a
    page that a payment's re-publish had brought up to date."""
    cfn = aws.client("cloudformation")
    if stacks.describe(cfn, stack) is None:
        return {}, {}
    table = physical_ids(cfn, stack).get("Table")
    if table is None:
        return {}, {}
    problems: list[str] = []
    store = DynamoStore(table, aws.client("dynamodb"))
    recorded = by_client(store, problems)
    for problem in problems:
        say(f"warning: {problem}")
    return recorded, receipt_numbers(store)


def physical_ids(cfn: Any, name: str) -> dict[str, str]:
    resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    # a Lambda permission has no physical id in moto; nothing refers to one
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r.get("PhysicalResourceId")
    }


def _outputs(cfn: Any, name: str, emulator: StackAdapter | None, say: Say) -> dict[str, str]:
    found = stacks.describe(cfn, name)
    assert found is not None
    if not found.outputs and emulator is not None:
        say("emulator: the stack reports no outputs; evaluating the template's Outputs here")
        found.outputs = emulator.outputs()
    missing = {"TableName", "SiteBucketName", "DataBucketName", "DistributionId"} - set(
        found.outputs
    )
    if missing:
        raise DeployError(f"stack {name} has no output {', '.join(sorted(missing))}")
    return found.outputs


def summary(report: DeployReport, api_url: str) -> list[str]:
    site, data = report.site, report.data
    lines = [
        f"Site: {len(site.uploaded)} files uploaded ({len(site.changed)} changed), "
        f"{len(site.deleted)} deleted, {site.unchanged} unchanged; "
        f"{len(report.invalidated)} paths invalidated",
        f"Data: {len(data.uploaded)} files uploaded, {len(data.deleted)} deleted; "
        f"ledger: {report.ledger_written} invoices written to DynamoDB",
        f"Portal:  {report.urls['PortalUrl']}  (each client: c/<token>/index.html)",
        f"API:     {report.urls['ApiUrl']}",
        f"Webhook: {report.urls['WebhookUrl']}  (paste into Stripe: Developers > Webhooks)",
    ]
    if origin(api_url) != origin(report.urls["ApiUrl"]):
        lines.append(
            f"note: the Pay buttons post to agency.yaml's api_url ({api_url}); point it, or a "
            "custom domain, at the API URL above and deploy again"
        )
    return lines


@dataclass
class DestroyReport:
    removed: bool
    kept: list[str] = field(default_factory=list)


def destroy(
    stack_name: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    say: Say = print,
    adapter: AdapterFactory | None = None,
) -> DestroyReport:
    """Remove the stack; keep (and name) what holds data no build can make again."""
    check_stack_name(stack_name)
    aws = connect(region, endpoint_url)
    cfn = aws.client("cloudformation")
    found = stacks.describe(cfn, stack_name)
    if found is None:
        say(f"No stack {stack_name} in {aws.region}: nothing to remove")
        return DestroyReport(False)
    # by the stack's own resource list: outputs may be missing (moto reports none)
    resources = physical_ids(cfn, stack_name)
    s3 = aws.client("s3")
    for logical in ("SiteBucket", "DataBucket"):  # regenerated by a deploy: emptied
        if logical in resources:
            _empty(s3, resources[logical])
    stacks.delete(cfn, stack_name, say)
    if adapter is not None:
        adapter(aws, stack_name, templates.load(), found.parameters, say).destroy(say)
    kept = [
        f"DynamoDB table {resources.get('Table', '?')} (payments, webhook events, outbox; "
        "point-in-time recovery on): delete it yourself when no longer needed",
        f"S3 bucket {found.parameters.get('CodeBucket', '?')} (Lambda packages; shared by stacks)",
        "SSM parameters "
        + ", ".join(templates.parameter_name(stack_name, v) for v in templates.SECRET_PARAMETERS),
    ]
    say(f"Removed stack {stack_name}. Kept:")
    for line in kept:
        say(f"  {line}")
    return DestroyReport(True, kept)


def _empty(s3: Any, bucket: str) -> None:
    try:
        keys = list(remote_hashes(s3, bucket))
    except s3.exceptions.NoSuchBucket:
        return
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True},
        )
