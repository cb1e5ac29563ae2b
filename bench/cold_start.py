"""Cold start of the Lambda handler: a fresh interpreter imports it and answers /health.

Run: python bench/cold_start.py [--runs 15]. Prints the median and worst of
the whole process (interpreter start included) and of import + first request.
Target (PERFORMANCE.md): ≤ 400 ms, aim 300 ms.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.test_handler import EVENT  # noqa: E402

SCRIPT = f"""
import json, time
started = time.perf_counter()
from functions.handler import handler
response = handler(json.loads({json.dumps(json.dumps(EVENT))}), None)
assert response["statusCode"] == 200, response
print(round((time.perf_counter() - started) * 1000, 1))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    inner, whole = [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PORTAL_STORE": f"{tmp}/store.sqlite3"}
        for _ in range(args.runs):
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
            )
            whole.append((time.perf_counter() - started) * 1000)
            inner.append(float(out.stdout.strip()))
    version, cores = sys.version.split()[0], os.cpu_count()
    print(f"cold start over {args.runs} fresh processes (Python {version}, {cores} cores)")
    for label, ms in (("import handler + answer /health", inner), ("whole process", whole)):
        print(f"  {label}: median {statistics.median(ms):.0f} ms, worst {max(ms):.0f} ms")
    print("  target: ≤ 400 ms (aim 300 ms)")


if __name__ == "__main__":
    main()
