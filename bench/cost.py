"""What the deployed portal costs a month, at AWS list prices (us-east-1).

    python bench/cost.py [--clients 1000] [--invoices 10] [--cold-ms N]

A model, not a bill: usage for N clients × M invoices a month from the assumptions below
(each one a named figure, printed), Lambda durations from measurements on this machine (the
handler answering in process, warm, and a cold import), network waits stated as
assumptions. Prices are list prices without free tiers (the always-free ones would cover
this portal's Lambda, CloudFront and most DynamoDB use), as published for us-east-1 and
assumed unchanged as of PRICES_AS_OF.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PRICES_AS_OF = "2026-11-23 (us-east-1 list prices as published in 2025, assumed unchanged)"
D = Decimal
# USD; per the unit named in each key
PRICES = {
    "s3_gb_month": D("0.023"),  # S3 Standard storage, first 50 TB
    "s3_put_1k": D("0.005"),  # PUT, COPY, POST, LIST
    "s3_get_1k": D("0.0004"),  # GET and others
    "cloudfront_gb": D("0.085"),  # data out to the internet, North America/Europe, first 10 TB
    "cloudfront_https_10k": D("0.0100"),  # HTTPS requests, North America/Europe
    "cloudfront_invalidation_path": D("0.005"),  # past 1,000 paths a month
    "apigw_http_1m": D("1.00"),  # HTTP API requests, first 300 million
    "lambda_request_1m": D("0.20"),
    "lambda_arm_gb_s": D("0.0000133334"),  # arm64, first 6 billion GB-s
    "dynamodb_write_1m": D("0.625"),  # on-demand write request units
    "dynamodb_read_1m": D("0.125"),  # on-demand read request units
    "dynamodb_gb_month": D("0.25"),
    "dynamodb_pitr_gb_month": D("0.20"),
    "ses_1k": D("0.10"),  # outbound email messages
    "logs_ingest_gb": D("0.50"),  # CloudWatch Logs ingestion
    "kms_request_10k": D("0.03"),  # decrypting the SSM SecureStrings at each cold start
}

# Usage assumptions, per invoice unless said otherwise (all editable here, all printed).
ASSUME = {
    "page_views": 4,  # the emailed link, the invoice, back from Stripe, the receipt
    "checkouts": 1.2,  # Pay pressed (some twice)
    "webhooks": 2,  # Stripe deliveries per payment (completed + payment_intent)
    "reminders": 1.5,  # reminder emails on average (many are paid before the first)
    "emails_per_payment": 1,  # the receipt, with the thank-you in it
    "republish_puts": 4,  # pages rewritten after a payment (portal, invoice, receipt, ics)
    "run_puts": 2.5,  # pages written by the monthly deploy (invoice, ics, share of portal)
    "months_kept": 12,  # history in the bucket and the table
    "cold_fraction": 0.2,  # API calls that meet a cold container (the 5-minute drain warms one)
    "stripe_wait_ms": 400,  # waiting for Stripe's API in a checkout
    "aws_wait_ms": 15,  # one DynamoDB/S3/SES round trip
    "memory_gb": 0.5,  # the function's 512 MB
    "log_kb_per_invocation": 0.6,
    # The daily boundary re-publish (functions/pages.py, functions/publish.py): a client's pages
    # change when a discount ends, a due date passes or a late fee falls due, and the drain
    # re-renders that client and PUTs only the files whose bytes changed. Per client a month,
    # from bench/boundaries.py (10,000 clients × 10 invoices, 2026-11-30; bench/RESULTS.md), its
    # days 1-11, while the synthetic content still feeds every kind of boundary (its invoices
    # are frozen, so later days undercount: the 31-day mean was 5.0 and 13.4). About half of
    # its invoices are open: the figures grow with a client's open invoices.
    "boundary_republishes": 6.8,  # re-publishes of a client a month: one LIST, one GET each
    "boundary_puts": 18.2,  # files PUT for a client a month (only the ones that changed)
    "boundary_ms": 9.6,  # a re-publish (functions.publish.republish) on one core here
    "boundary_ledger_writes": 10,  # ledger entries a re-publish writes back: all the client's
}
DRAINS_PER_MONTH = 30 * 24 * 12  # every 5 minutes
PAGES_QUERIES_PER_MONTH = DRAINS_PER_MONTH  # each drain asks the `due` index whose pages change
REMINDS_PER_MONTH = 30


@dataclass(frozen=True)
class Measured:
    warm_health_ms: float
    warm_webhook_ms: float
    cold_ms: float
    page_kb: float


def measure(cold_ms: float | None) -> Measured:
    """Durations on this machine, in process, SQLite store; page size from the sample build."""
    from datetime import date

    from site_builder.build import build

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("PORTAL_SECRET", "cost-model-secret-0123456789abcdef")
        build(ROOT / "content", Path(tmp), date(2026, 11, 23))
        pages = [p for p in (Path(tmp) / "public" / "c").rglob("*") if p.is_file()]
        page_kb = statistics.mean(p.stat().st_size for p in pages) / 1024
        os.environ["PORTAL_STORE"] = f"{tmp}/store.sqlite3"
        os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_cost"
        from functions.handler import handler
        from local.stripe_server.webhooks import sign_payload
        from tests.integration.test_handler import EVENT

        health = _timed(lambda: handler(json.loads(json.dumps(EVENT)), None), 200)
        n = iter(range(10**9))

        def webhook() -> None:
            body = json.dumps(
                {"id": f"evt_{next(n)}", "type": "customer.created", "created": 0,
                 "data": {"object": {"id": "cus_1", "object": "customer"}}}
            ).encode()  # fmt: skip
            event = json.loads(json.dumps(EVENT))
            event["routeKey"] = "POST /webhooks/stripe"
            event["rawPath"] = event["requestContext"]["http"]["path"] = "/webhooks/stripe"
            event["requestContext"]["http"]["method"] = "POST"
            event["headers"]["stripe-signature"] = sign_payload(body, "whsec_cost")
            event["body"] = body.decode()
            answer = handler(event, None)
            assert answer["statusCode"] == 200, answer

        hook = _timed(webhook, 200)
    if cold_ms is None:
        cold_ms = _cold_import()
    return Measured(health, hook, cold_ms, page_kb)


def _timed(call: object, runs: int) -> float:
    for _ in range(5):
        call()  # type: ignore[operator]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _cold_import(runs: int = 5) -> float:
    script = "import time; t = time.perf_counter(); import functions.handler; "
    script += "print((time.perf_counter() - t) * 1000)"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PORTAL_STORE": f"{tmp}/s.sqlite3"}
        out = [
            float(
                subprocess.run(
                    [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                    text=True, check=True,
                ).stdout
            )
            for _ in range(runs)
        ]  # fmt: skip
    return statistics.median(out)


def boundary_republish(clients: int) -> dict[str, dict[str, Decimal]]:
    """Service -> line -> dollars a month of the daily boundary re-publish (pure).

    Each re-publish LISTs the client's prefix, GETs its snapshot, PUTs the changed files and
    writes the client's ledger entries back; every drain queries the `due` index once (one read
    unit: the ids of the clients due fit in a few KB).
    """
    a, p = ASSUME, PRICES
    republishes = clients * a["boundary_republishes"]
    puts = clients * a["boundary_puts"] + republishes  # a LIST is priced as a PUT
    seconds = republishes * a["boundary_ms"] / 1000
    writes = republishes * a["boundary_ledger_writes"]

    def d(x: float) -> Decimal:
        return D(str(round(x, 6)))

    return {
        "S3": {
            "PUT/LIST/GET (daily boundary re-publish)": d(puts) / 1000 * p["s3_put_1k"]
            + d(republishes) / 1000 * p["s3_get_1k"],
        },
        "Lambda": {
            "GB-s (daily boundary re-publish)": d(seconds * a["memory_gb"]) * p["lambda_arm_gb_s"]
        },
        "DynamoDB": {
            "page-change Query, ledger writes (boundary)": D(PAGES_QUERIES_PER_MONTH)
            / 1_000_000
            * p["dynamodb_read_1m"]
            + d(writes) / 1_000_000 * p["dynamodb_write_1m"],
        },
    }


def monthly(clients: int, invoices: int, m: Measured) -> dict[str, dict[str, Decimal]]:
    """Service -> line -> dollars a month (pure: usage times price)."""
    a, p = ASSUME, PRICES
    n = clients * invoices  # invoices a month, each assumed paid through Stripe
    views = n * a["page_views"]
    checkouts, hooks = n * a["checkouts"], n * a["webhooks"]
    api_calls = checkouts + hooks
    invocations = api_calls + DRAINS_PER_MONTH + REMINDS_PER_MONTH
    cpu_s = m.warm_webhook_ms / 1000
    seconds = (
        checkouts * (cpu_s + (a["stripe_wait_ms"] + 4 * a["aws_wait_ms"]) / 1000)
        + hooks * (cpu_s + 6 * a["aws_wait_ms"] / 1000)
        + DRAINS_PER_MONTH * (m.warm_health_ms + 2 * a["aws_wait_ms"]) / 1000
        + n * a["republish_puts"] * a["aws_wait_ms"] / 1000  # the drain re-publishing
        + REMINDS_PER_MONTH * 2.0
        + api_calls * a["cold_fraction"] * m.cold_ms / 1000  # INIT is billed since 2025
    )
    stored_gb = D(n * a["months_kept"] * 3 * m.page_kb) / (1024 * 1024)
    entry_gb = D(n * a["months_kept"] * 3) / (1024 * 1024)  # ~3 KB of items per invoice
    writes = n * (1 + 12 + 4 + 2 * a["reminders"])  # ledger, payment txn, session txn, reminders
    reads = n * (4 + 2) + DRAINS_PER_MONTH * 1 + n * a["reminders"]
    emails = n * (a["emails_per_payment"] + a["reminders"])
    cold_starts = api_calls * a["cold_fraction"]

    def d(x: float) -> Decimal:
        return D(str(round(x, 6)))

    table = {
        "S3": {
            "storage": stored_gb * p["s3_gb_month"],
            "PUT/LIST (deploy, re-publish)": d(n * (a["run_puts"] + a["republish_puts"]))
            / 1000
            * p["s3_put_1k"],
            "GET (edge revalidations)": d(views) / 1000 * p["s3_get_1k"],
        },
        "CloudFront": {
            "transfer": d(views * m.page_kb) / (1024 * 1024) * p["cloudfront_gb"],
            "HTTPS requests": d(views * 1.25) / 10_000 * p["cloudfront_https_10k"],
            "invalidations (<= 1,000 paths: free)": D(0),
        },
        "API Gateway": {"HTTP API requests": d(api_calls) / 1_000_000 * p["apigw_http_1m"]},
        "Lambda": {
            "requests": d(invocations) / 1_000_000 * p["lambda_request_1m"],
            "GB-s": d(seconds * a["memory_gb"]) * p["lambda_arm_gb_s"],
        },
        "DynamoDB": {
            "writes": d(writes) / 1_000_000 * p["dynamodb_write_1m"],
            "reads": d(reads) / 1_000_000 * p["dynamodb_read_1m"],
            "storage + PITR": entry_gb * (p["dynamodb_gb_month"] + p["dynamodb_pitr_gb_month"]),
        },
        "SES": {"messages": d(emails) / 1000 * p["ses_1k"]},
        "Other": {
            "CloudWatch Logs": d(invocations * a["log_kb_per_invocation"])
            / (1024 * 1024)
            * p["logs_ingest_gb"],
            "KMS (SecureStrings at cold start)": d(cold_starts) / 10_000 * p["kms_request_10k"],
            "EventBridge rules, SQS, SSM parameters": D(0),
        },
    }
    for service, lines in boundary_republish(clients).items():
        table[service].update(lines)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=10, help="invoices per client a month")
    parser.add_argument("--cold-ms", type=float, help="cold start to bill (default: measured)")
    args = parser.parse_args()
    m = measure(args.cold_ms)
    table = monthly(args.clients, args.invoices, m)
    print(f"Monthly cost, {args.clients:,} clients × {args.invoices} invoices a month")
    print(f"Prices: {PRICES_AS_OF}")
    print(
        f"Measured here: handler warm /health {m.warm_health_ms:.2f} ms, signed webhook "
        "verified and recorded "
        f"{m.warm_webhook_ms:.2f} ms (in process, SQLite), cold import {m.cold_ms:.0f} ms; "
        f"average page {m.page_kb:.1f} KB"
    )
    print("Assumed: " + ", ".join(f"{k}={v}" for k, v in ASSUME.items()))
    total = D(0)
    print(f"\n| {'service':<12} | {'line':<45} | {'$/month':>9} |")
    print(f"|{'-' * 14}|{'-' * 47}|{'-' * 11}|")
    for service, lines in table.items():
        for line, dollars in lines.items():
            print(f"| {service:<12} | {line:<45} | {dollars:>9.4f} |")
            total += dollars
    email = sum(table["SES"].values(), D(0))
    print(f"| {'total':<12} | {'':<45} | {total:>9.2f} |")
    print(f"\nWithout email (SES): ${total - email:.2f}/month; email: ${email:.2f}/month")
    print(f"Goal ≤ $1/month: {'met' if total <= 1 else 'not met'} in all; "
          f"{'met' if total - email <= 1 else 'not met'} without email")  # fmt: skip


if __name__ == "__main__":
    main()
