"""The Lambda handler answers an API Gateway v2 event (Mangum is the real adapter, in process,
exactly as Lambda calls it) without loading the Stripe SDK for a health check."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from functions.store import SqliteStore
from site_builder.build import build
from tests.conftest import ROOT, SAMPLE, SAMPLE_TODAY, SECRET

EVENT = {
    "version": "2.0",
    "routeKey": "GET /health",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"host": "api.example", "x-forwarded-proto": "https"},
    "requestContext": {
        "http": {"method": "GET", "path": "/health", "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
        "stage": "$default",
        "requestId": "r1",
        "accountId": "1",
        "apiId": "a",
        "domainName": "api.example",
        "timeEpoch": 0,
    },
    "isBase64Encoded": False,
}

SCRIPT = f"""
import json, sys
from functions.handler import handler
response = handler(json.loads({json.dumps(json.dumps(EVENT))}), None)
print(json.dumps({{"status": response["statusCode"], "body": response["body"],
                  "stripe": "stripe" in sys.modules, "boto3": "boto3" in sys.modules}}))
"""


def test_health_through_the_lambda_handler_in_a_fresh_process(tmp_path: Path) -> None:
    env = {"PORTAL_STORE": str(tmp_path / "store.sqlite3"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200 and json.loads(answer["body"]) == {"status": "ok"}
    assert not answer["stripe"] and not answer["boto3"]


JOBS = """
import json
from functions.handler import handler
print(json.dumps([handler({"job": "drain"}, None), handler({"job": "remind"}, None)]))
"""


def test_the_scheduled_jobs_run_through_the_same_handler(tmp_path: Path) -> None:
    """EventBridge's constant inputs: the outbox drain (with the day's page changes) and the
    day's reminders."""
    out = tmp_path / "out"
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.put_invoices(json.loads((out / "build" / "ledger.json").read_text())["invoices"])
    env = {
        "PORTAL_STORE": str(tmp_path / "store.sqlite3"),
        "PORTAL_BUILD": str(out / "build"),
        "PORTAL_PUBLIC": str(out / "public"),
        "PORTAL_SECRET": SECRET,
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", JOBS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    drained, reminded = json.loads(result.stdout.strip().splitlines()[-1])
    # the clients whose pages crossed a boundary since the build are re-published at once
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    ledger = json.loads((out / "build" / "ledger.json").read_text())["invoices"]
    due = {e["client"] for e in ledger.values() if (e["pages_change"] or "9999") <= today}
    assert drained == {"job": "drain", "done": len(due), "retried": 0, "pages_due": len(due)}
    assert store.pages_changing(today) == []  # their new ledger entries name later days
    # the job runs for the real day, so what is due varies; whatever it queued is in the store
    assert reminded["job"] == "remind" and reminded["problems"] == []
    assert store.pending() == reminded["queued"] and reminded["looked_at"] > 0
