"""``portal deploy`` end to end against moto's standalone server, with the real boto3.

moto's CloudFormation lacks some of the template's resource types (it skips them silently
and fails on a GetAtt of one): CloudFront distributions, origin access controls, API Gateway
v2 APIs, integrations, routes and stages, SES identities, S3 bucket and SQS queue policies.
With ``--endpoint-url`` the deploy makes those through their own APIs (local/emulated.py)
and says so; moto has no API at all for CloudFront cache and response-headers policies, so
those two types are skipped, with a printed line naming them. Nothing here can invoke the
Lambda (moto needs Docker for that) or load a page through CloudFront.

One module-scoped scenario, each step followed by a deploy: the first, nothing changed, one
invoice changed, one client's link revoked (token_version bumped), a payment recorded in the
table as the functions would, an offline payment added to the content (deployed twice); then
destroy. The tests read what each step left.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as mail_policy
from pathlib import Path
from typing import Any

import orjson
import pytest

from functions.store.base import Change, Payment
from functions.store.dynamodb import DynamoStore
from infra import template as templates
from infra.deploy import DeployOptions, DeployReport, deploy, destroy
from infra.sync import folder_files
from local.emulated import Emulator
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.conftest import aws_client

STACK = "portal-test"
EDITED_INVOICE = "INV-2026-0137"
RETIRED_CLIENT = "yantar"  # its token_version is bumped: its old link must go
CHEQUE = "pay-2026-11-21-harbor-light-cheque"  # an offline payment on EDITED_INVOICE
NEW_INVOICE = "INV-2026-0901"  # published between two deploys: one "new invoice" email


def _token(out: Path, client: str) -> str:
    manifest = json.loads((out / "build" / "manifest.json").read_bytes())
    return str(manifest["clients"][client]["token"])


@dataclass
class Scenario:
    endpoint: str
    out: Path
    reports: list[DeployReport] = field(default_factory=list)
    said: list[list[str]] = field(default_factory=list)
    site_after: list[dict[str, str]] = field(default_factory=list)
    public_after: list[dict[str, bytes]] = field(default_factory=list)
    change_sets_after: list[int] = field(default_factory=list)
    data_after: list[dict[str, bytes]] = field(default_factory=list)
    iam_documents: list[Any] = field(default_factory=list)
    site_policy: dict[str, Any] = field(default_factory=dict)
    plain_http_read: str = ""  # what reading a page over plain HTTP gave
    edited_client: str = ""
    retired_token: str = ""
    paid: tuple[str, str] = ("", "")  # (client, invoice) paid through the functions
    outbox_after: list[dict[str, dict[str, Any]]] = field(default_factory=list)  # key: payload
    invoice_sent: dict[str, Any] = field(default_factory=dict)  # the email SES took
    destroy_said: list[str] = field(default_factory=list)
    after_destroy: dict[str, Any] = field(default_factory=dict)


def _record_a_payment(endpoint: str, out: Path, table: str) -> tuple[str, str]:
    """What the deployed functions do when Stripe says an invoice was paid (in part)."""
    ledger = orjson.loads((out / "build" / "ledger.json").read_bytes())["invoices"]
    number, entry = next(
        (n, e)
        for n, e in sorted(ledger.items())
        if e["amount_due"] > 100 and e["client"] not in (RETIRED_CLIENT, "harbor-light")
    )
    payment = Payment(
        id="pi_deploy_test",
        invoice=number,
        client=entry["client"],
        amount=100,
        currency=entry["currency"],
        received="2026-11-20",
        method="card",
        status="succeeded",
    )
    store = DynamoStore(table, aws_client("dynamodb", endpoint))
    assert store.apply(Change(event_id="evt_deploy_test", payments=[payment]))
    return entry["client"], number


def _etags(endpoint: str, bucket: str) -> dict[str, str]:
    """Key -> S3's MD5 of the stored bytes. The site bucket's policy denies reads over plain
    HTTP (TLS only), moto enforces it, and its endpoint here is plain HTTP: so the site is
    compared by the hash S3 computed, not by reading it back."""
    s3 = aws_client("s3", endpoint)
    return {
        item["Key"]: item["ETag"].strip('"')
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    }


def _bucket(endpoint: str, bucket: str) -> dict[str, bytes]:
    s3 = aws_client("s3", endpoint)
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _iam_documents(endpoint: str) -> list[Any]:
    """Every policy document moto holds for the account's roles: trust, inline, attached."""
    iam = aws_client("iam", endpoint)
    documents: list[Any] = []
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        documents.append(role["AssumeRolePolicyDocument"])
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            documents.append(
                iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            )
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            documents.append(
                iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
                    "Document"
                ]
            )
    return [_document(d) for d in documents]


def _document(document: Any) -> Any:
    if not isinstance(document, str):
        return document
    try:
        return json.loads(document)
    except json.JSONDecodeError:
        # moto's CloudFormation keeps an inline policy as Python's repr of the dict
        return ast.literal_eval(document)


def _site_policy(endpoint: str, bucket: str) -> tuple[dict[str, Any], str]:
    from botocore.exceptions import ClientError

    s3 = aws_client("s3", endpoint)
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    try:
        s3.get_object(Bucket=bucket, Key="robots.txt")
        return policy, "read"
    except ClientError as error:
        return policy, str(error.response["Error"]["Code"])


def _change_sets(endpoint: str) -> int:
    cfn = aws_client("cloudformation", endpoint)
    return len(cfn.list_change_sets(StackName=STACK).get("Summaries", []))


def _edit_invoice(content: Path) -> str:
    """Change one quantity of one invoice; returns its client."""
    path = content / "invoices" / f"{EDITED_INVOICE}.yaml"
    text = path.read_text(encoding="utf-8")
    assert "quantity: 1," in text
    path.write_text(text.replace("quantity: 1,", "quantity: 2,", 1), encoding="utf-8")
    client = next(line for line in text.splitlines() if line.startswith("client:"))
    return client.split(":", 1)[1].strip()


def _send_invoice_email(endpoint: str, report: DeployReport) -> dict[str, Any]:
    """What the deployed drain does with the new invoice's outbox item (moto runs no Lambda:
    the drain's own code, on the stack's table, data bucket and SES): SES's message id and
    the message it was given."""
    from functions.app import Services
    from functions.mailer import to_mime
    from functions.mailer.ses import SesMailer
    from functions.snapshots import S3Snapshots
    from functions.work import invoice_email

    table = DynamoStore(report.outputs["TableName"], aws_client("dynamodb", endpoint))
    ses = aws_client("sesv2", endpoint)
    ses.create_email_identity(EmailIdentity="billing@northwind.example")
    services = Services(
        store=table,
        snapshots=S3Snapshots(report.outputs["DataBucketName"], aws_client("s3", endpoint)),
        sessions=None,  # type: ignore[arg-type]  # no checkout here
        portal_secret=SECRET,
        webhook_secret="whsec_deploy",
        today=lambda: SAMPLE_TODAY,
        mailer=SesMailer(ses),
        site=None,
    )
    (item,) = [i for i in table.unsent() if i.key == f"invoice:{NEW_INVOICE}"]
    mail = invoice_email(services, item.payload)  # what send_email sends, kept to read
    assert mail is not None
    message_id = SesMailer(ses).send(mail)
    table.done(item.key)
    return {"id": message_id, "raw": to_mime(mail).as_bytes(), "to": mail.to}


@pytest.fixture(scope="module")
def scenario(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("deploy")
    content, out = tmp / "content", tmp / "out"
    shutil.copytree(SAMPLE, content)
    result = Scenario(moto_endpoint, out)
    options = DeployOptions(
        content=content,
        out=out,
        today=SAMPLE_TODAY,
        stack=STACK,
        region="us-east-1",
        endpoint_url=moto_endpoint,
        adapter=Emulator,
    )
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",  # never look for an instance role
            "PORTAL_SECRET": SECRET,
            "STRIPE_SECRET_KEY": "sk_test_deploy",
            "STRIPE_WEBHOOK_SECRET": "whsec_deploy",
        }.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)

        def run() -> DeployReport:
            lines: list[str] = []
            report = deploy(options, say=lines.append)
            result.reports.append(report)
            result.said.append(lines)
            bucket = report.outputs["SiteBucketName"]
            result.site_after.append(_etags(moto_endpoint, bucket))
            result.public_after.append(
                {k: p.read_bytes() for k, p in folder_files(out / "public").items()}
            )
            result.change_sets_after.append(_change_sets(moto_endpoint))
            result.data_after.append(_bucket(moto_endpoint, report.outputs["DataBucketName"]))
            table = DynamoStore(report.outputs["TableName"], aws_client("dynamodb", moto_endpoint))
            result.outbox_after.append({i.key: dict(i.payload) for i in table.unsent()})
            return report

        first = run()
        result.iam_documents = _iam_documents(moto_endpoint)
        result.site_policy, result.plain_http_read = _site_policy(
            moto_endpoint, first.outputs["SiteBucketName"]
        )
        run()
        result.edited_client = _edit_invoice(content)
        run()
        result.retired_token = _token(out, RETIRED_CLIENT)
        client_file = content / "clients" / f"{RETIRED_CLIENT}.yaml"
        text = client_file.read_text(encoding="utf-8")
        client_file.write_text(text.replace("token_version: 1", "token_version: 2"), "utf-8")
        run()
        result.paid = _record_a_payment(moto_endpoint, out, result.reports[-1].outputs["TableName"])
        run()
        (content / "payments" / f"{CHEQUE}.yaml").write_text(
            f'invoice: {EDITED_INVOICE}\namount: "500.00"\ndate: 2026-11-21\nmethod: cheque\n',
            encoding="utf-8",
        )
        (content / "invoices" / f"{NEW_INVOICE}.yaml").write_text(
            f"client: {result.edited_client}\nissued: {SAMPLE_TODAY.isoformat()}\n"
            'items:\n  - {description: "Menu photography", quantity: 1, unit_price: "800.00"}\n',
            encoding="utf-8",
        )
        run()
        run()  # the same content again: nothing more to mail
        report = result.reports[-1]
        result.invoice_sent = _send_invoice_email(moto_endpoint, report)
        destroy(STACK, "us-east-1", moto_endpoint, say=result.destroy_said.append, adapter=Emulator)
        result.after_destroy = {
            "stacks": aws_client("cloudformation", moto_endpoint).list_stacks()["StackSummaries"],
            "table": aws_client("dynamodb", moto_endpoint).describe_table(
                TableName=report.outputs["TableName"]
            )["Table"]["TableName"],
            "apis": aws_client("apigatewayv2", moto_endpoint).get_apis().get("Items", []),
            "distributions": aws_client("cloudfront", moto_endpoint)
            .list_distributions()["DistributionList"]
            .get("Items", []),
            "access_controls": aws_client("cloudfront", moto_endpoint)
            .list_origin_access_controls()["OriginAccessControlList"]
            .get("Items", []),
        }
        yield result


def test_first_deploy_prints_the_three_urls_and_names_what_the_emulator_lacks(
    scenario: Scenario,
) -> None:
    report, said = scenario.reports[0], "\n".join(scenario.said[0])
    assert report.stack_changed and report.package_uploaded
    assert report.urls["PortalUrl"].startswith("https://") and ".cloudfront.net" in said
    assert report.urls["WebhookUrl"] == report.urls["ApiUrl"] + "/webhooks/stripe"
    for url in report.urls.values():
        assert url in said
    for kind in ("AWS::CloudFront::CachePolicy", "AWS::CloudFront::ResponseHeadersPolicy"):
        assert f"skipped {kind}" in said
    for kind in (
        "AWS::CloudFront::Distribution",
        "AWS::ApiGatewayV2::Api",
        "AWS::S3::BucketPolicy",
    ):
        assert f"made {kind}" in said


def test_the_site_bucket_holds_exactly_the_public_files(scenario: Scenario) -> None:
    for site, public in zip(scenario.site_after, scenario.public_after, strict=True):
        assert set(site) == set(public)
        for key, data in public.items():
            assert site[key] == hashlib.md5(data, usedforsecurity=False).hexdigest(), key


def test_the_site_bucket_is_readable_only_over_tls(scenario: Scenario) -> None:
    """The bucket policy was applied (made directly: moto's CloudFormation skips it)."""
    statements = {s["Sid"]: s for s in scenario.site_policy["Statement"]}
    assert set(statements) == {"CloudFrontReadsThroughOriginAccessControl", "TlsOnly"}
    reader = statements["CloudFrontReadsThroughOriginAccessControl"]
    assert reader["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert ":distribution/" in reader["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert scenario.plain_http_read in ("403", "AccessDenied", "Forbidden")


def test_nothing_from_build_is_public(scenario: Scenario) -> None:
    build = scenario.out / "build"
    private = {
        hashlib.md5(p.read_bytes(), usedforsecurity=False).hexdigest()
        for p in build.rglob("*")
        if p.is_file()
    }
    for site in scenario.site_after:
        assert not any(key.startswith(("build/", "clients/")) for key in site)
        assert not {"ledger.json", "manifest.json", "report.html"} & set(site)
        assert not private & set(site.values())


def test_the_private_data_goes_to_the_data_bucket(scenario: Scenario) -> None:
    build = scenario.out / "build"
    data = scenario.data_after[-1]
    snapshots = {f"clients/{p.name}" for p in (build / "clients").glob("*.json")}
    assert set(data) == snapshots | {"ledger.json", "manifest.json"}
    assert data["ledger.json"] == (build / "ledger.json").read_bytes()
    outputs = scenario.reports[0].outputs
    assert outputs["DataBucketName"] != outputs["SiteBucketName"]


def test_the_table_holds_the_ledger(scenario: Scenario) -> None:
    # the last deploy's ledger, read back through the store the functions use
    ledger = orjson.loads((scenario.out / "build" / "ledger.json").read_bytes())["invoices"]
    assert len(ledger) == 43 + 1  # the sample's, and NEW_INVOICE
    stored = scenario.reports[-1].outputs["TableName"]
    store = DynamoStore(stored, aws_client("dynamodb", scenario.endpoint))
    for number, entry in ledger.items():
        assert store.invoice(number) == entry, number


def test_no_iam_policy_allows_every_action(scenario: Scenario) -> None:
    def actions(document: Any) -> list[str]:
        found: list[str] = []
        statements = document.get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            action = statement.get("Action", [])
            found += [action] if isinstance(action, str) else action
            assert "NotAction" not in statement
        return found

    def broad(action: str) -> bool:
        return action == "*" or action.endswith(":*")

    # in the template, every policy document of every resource
    documents: list[Any] = []
    for resource in templates.load()["Resources"].values():
        props = resource.get("Properties", {})
        documents += [
            props[k] for k in ("PolicyDocument", "AssumeRolePolicyDocument") if k in props
        ]
        documents += [p["PolicyDocument"] for p in props.get("Policies", [])]
    assert len(documents) >= 4
    for document in documents:
        assert not [a for a in actions(document) if broad(a)]

    # and every document moto reports for the deployed roles (read before the destroy)
    assert len(scenario.iam_documents) >= 2
    for document in scenario.iam_documents:
        assert not [a for a in actions(document) if broad(a)]


def test_second_deploy_with_nothing_changed_uploads_nothing_and_makes_no_change_set(
    scenario: Scenario,
) -> None:
    second = scenario.reports[1]
    assert second.files_uploaded == 0 and not second.package_uploaded
    assert not second.stack_changed
    assert scenario.change_sets_after[1] == scenario.change_sets_after[0]
    assert second.ledger_written == 0 and second.invalidated == []
    assert second.build.clients_rendered == 0


def test_after_one_invoice_changes_only_that_clients_files_upload(scenario: Scenario) -> None:
    third = scenario.reports[2]
    manifest = json.loads((scenario.out / "build" / "manifest.json").read_bytes())
    token = manifest["clients"][scenario.edited_client]["token"]
    assert third.site.uploaded, "the changed invoice's pages must be uploaded"
    assert all(key.startswith(f"c/{token}/") for key in third.site.uploaded)
    assert f"c/{token}/invoices/{EDITED_INVOICE}.html" in third.site.uploaded
    assert set(third.data.uploaded) <= {
        f"clients/{scenario.edited_client}.json",
        "ledger.json",
        "manifest.json",
    }
    assert third.ledger_written == 1
    assert third.invalidated and all(p.startswith(f"/c/{token}/") for p in third.invalidated)
    assert (
        not third.stack_changed and scenario.change_sets_after[2] == scenario.change_sets_after[0]
    )


def test_an_offline_payment_gets_one_receipt_and_the_history_none(scenario: Scenario) -> None:
    receipts = [
        {key: payload for key, payload in outbox.items() if key.startswith("receipt:")}
        for outbox in scenario.outbox_after
    ]
    # the first deploy takes the sample's payments as history: nobody is mailed about them,
    # nor about the payment the functions recorded (Stripe's: its receipt is the webhook's)
    assert receipts[:5] == [{}] * 5
    # the cheque added before the sixth deploy: queued once, in the deploy's data step,
    # and not again by the deploy after it (nothing drains it here: moto runs no Lambda)
    expected = {
        f"receipt:{CHEQUE}": {
            "template": "receipt",
            "payment": CHEQUE,
            "invoice": EDITED_INVOICE,
            "client": scenario.edited_client,
        }
    }
    assert receipts[5] == receipts[6] == expected
    assert scenario.reports[6].build.clients_rendered == 0


def test_a_new_invoice_between_two_deploys_is_one_email_via_ses(scenario: Scenario) -> None:
    invoices = [
        {key: payload for key, payload in outbox.items() if key.startswith("invoice:")}
        for outbox in scenario.outbox_after
    ]
    assert invoices[0] == {}  # the first deploy: the sample's invoices are history
    # the edited quantity changed a total the client relies on: one update, keyed by it
    assert [p["kind"] for p in invoices[2].values()] == ["updated"]
    assert next(iter(invoices[2].values()))["invoice"] == EDITED_INVOICE
    new = {k: p for k, p in invoices[5].items() if p["kind"] == "new"}
    assert list(new) == [f"invoice:{NEW_INVOICE}"]  # queued by the data step, once
    assert invoices[6] == invoices[5]  # the deploy after it queues nothing more
    sent = scenario.invoice_sent
    assert sent["id"]  # SES took it from the agency's verified address
    message = message_from_bytes(sent["raw"], policy=mail_policy.default)
    assert message["Subject"] == f"Invoice {NEW_INVOICE} from Northwind Studio"
    assert any("accounts@harborlight.example" in to for to in sent["to"])
    # no WeasyPrint on Lambda: a link to the PDF the build puts beside the page, where
    # this process (with WeasyPrint) attaches it
    attached = [a.get_filename() for a in message.iter_attachments()]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert attached == [f"{NEW_INVOICE}.pdf"] or f"/invoices/{NEW_INVOICE}.pdf" in text
    assert "$800.00" in text


def test_offline_receipts_are_numbered_with_stripe_s_and_uploaded_by_number(
    scenario: Scenario,
) -> None:
    table = DynamoStore(
        scenario.reports[-1].outputs["TableName"], aws_client("dynamodb", scenario.endpoint)
    )
    numbers = table.offline_receipt_numbers()
    history = len(numbers) - 1  # the first deploy numbered the sample's, in the order received
    assert sorted(n for pid, n in numbers.items() if pid != CHEQUE) == [
        f"R-2026-{n:04d}" for n in range(1, history + 1)
    ]
    # one counter: the payment the functions recorded took the next, the cheque the one after
    stripe = table.payment("pi_deploy_test")
    assert stripe is not None and stripe.receipt == f"R-2026-{history + 1:04d}"
    assert numbers[CHEQUE] == f"R-2026-{history + 2:04d}"
    # each receipt page is uploaded under its number, from the first deploy on
    uploaded = [key for key in scenario.site_after[0] if "/receipts/" in key]
    assert len([key for key in uploaded if key.endswith(".html")]) == history
    assert all(re.search(r"/receipts/R-2026-\d{4}\.\w+$", key) for key in uploaded)
    token = _token(scenario.out, scenario.edited_client)
    page = f"c/{token}/receipts/{numbers[CHEQUE]}.html"
    assert page not in scenario.site_after[4]
    assert page in scenario.site_after[5]
    assert f"c/{token}/receipts/{CHEQUE}.html" not in scenario.site_after[5]
    # the deploy after it renumbers nothing and uploads nothing
    assert scenario.site_after[6] == scenario.site_after[5]
    assert not scenario.reports[6].site.uploaded


def test_a_revoked_link_is_deleted_from_the_bucket_and_the_edge(scenario: Scenario) -> None:
    fourth = scenario.reports[3]
    old, new = scenario.retired_token, _token(scenario.out, RETIRED_CLIENT)
    assert old != new
    assert fourth.site.deleted and all(k.startswith(f"c/{old}/") for k in fourth.site.deleted)
    assert not any(key.startswith(f"c/{old}/") for key in scenario.site_after[3])
    assert all(key.startswith(f"c/{new}/") for key in fourth.site.uploaded)
    assert all(p.startswith(f"/c/{old}/") for p in fourth.invalidated)


def test_a_payment_the_functions_recorded_shows_in_the_next_deploy(scenario: Scenario) -> None:
    fifth, (client, number) = scenario.reports[4], scenario.paid
    token = _token(scenario.out, client)
    assert fifth.build.clients_rendered == 1
    assert f"c/{token}/invoices/{number}.html" in fifth.site.uploaded
    assert all(key.startswith(f"c/{token}/") for key in fifth.site.uploaded)
    ledger = orjson.loads((scenario.out / "build" / "ledger.json").read_bytes())["invoices"]
    assert ledger[number]["paid"] >= 100 and fifth.ledger_written >= 1


def test_destroy_keeps_the_table_and_says_so(scenario: Scenario) -> None:
    said = "\n".join(scenario.destroy_said)
    table = scenario.after_destroy["table"]
    assert table in said and "kept" in said.lower()
    live = [s for s in scenario.after_destroy["stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert not [s for s in live if s["StackName"] == STACK]
    assert scenario.after_destroy["apis"] == [] and scenario.after_destroy["distributions"] == []
    assert scenario.after_destroy["access_controls"] == []
