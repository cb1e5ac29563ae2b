"""The Lambda handler answers an API Gateway v2 event (Mangum is the real adapter, in process,
exactly as Lambda calls it) without loading the Stripe SDK for a health check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

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
