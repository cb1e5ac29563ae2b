"""Cold start of the Lambda package as shipped: Python 3.12, the package's own files only.

    python bench/lambda_cold_start.py [--runs 15]

Builds the same package as ``portal deploy`` but for this machine's platform
(manylinux2014_x86_64: the arm64 one cannot run here), unzips it, and times fresh
``python3.12 -S -E`` processes that put only the package on ``sys.path`` (as Lambda's
/var/task), import ``functions.handler`` and answer ``GET /health`` through Mangum, with the
local SQLite store. Then, separately, what a deployed function adds at start-up: boto3 (which
Lambda's runtime provides, so it is not in the package) and the DynamoDB and SSM clients.
Prints medians and worsts and the arm64 package's size. Target (PERFORMANCE.md): ≤ 400 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra import package  # noqa: E402
from tests.integration.test_handler import EVENT  # noqa: E402

HANDLER = f"""
import json, sys, time
started = time.perf_counter()
from functions.handler import handler
response = handler(json.loads({json.dumps(json.dumps(EVENT))}), None)
assert response["statusCode"] == 200, response
print(round((time.perf_counter() - started) * 1000, 1))
"""
BOTO3 = """
import time
started = time.perf_counter()
import boto3
boto3.client("dynamodb", region_name="us-east-1")
boto3.client("ssm", region_name="us-east-1")
print(round((time.perf_counter() - started) * 1000, 1))
"""


def _runs(python: str, path: list[str], script: str, env: dict[str, str], n: int) -> list[float]:
    prefix = f"import sys; sys.path[:0] = {path!r}\n"
    times = []
    for _ in range(n):
        out = subprocess.run(
            [python, "-S", "-E", "-c", prefix + script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = package.find_python()
    if python is None:
        sys.exit("no Python 3.12 here (set PORTAL_LAMBDA_PYTHON)")
    arm = package.build(say=print)
    here = package.build(say=print, platform="manylinux2014_x86_64")
    with tempfile.TemporaryDirectory() as tmp:
        task = Path(tmp) / "task"
        zipfile.ZipFile(here.path).extractall(task)
        boto = Path(tmp) / "boto3"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target",
             str(boto), "--python-version", "3.12", "--only-binary=:all:", "boto3"],
            check=True,
        )  # fmt: skip
        subprocess.run([python, "-m", "compileall", "-q", str(boto)], check=True)
        env = {"PATH": os.environ["PATH"], "PORTAL_STORE": f"{tmp}/store.sqlite3"}
        handler = _runs(python, [str(task)], HANDLER, env, args.runs)
        clients = _runs(python, [str(boto)], BOTO3, env, args.runs)
    version = subprocess.run([python, "-V"], capture_output=True, text=True).stdout.strip()
    print(f"Lambda package (arm64): {arm.size / 2**20:.1f} MB zipped (limit 15 MB)")
    print(f"cold start over {args.runs} fresh {version} processes, package only on sys.path:")
    for label, ms in (
        ("import handler + answer /health (SQLite store)", handler),
        ("deployed extra: import boto3 + DynamoDB and SSM clients", clients),
    ):
        print(f"  {label}: median {statistics.median(ms):.0f} ms, worst {max(ms):.0f} ms")
    print("  target: ≤ 400 ms (aim 300 ms)")


if __name__ == "__main__":
    main()
