"""The webhook path: verify the signature, record the event, enqueue the receipt.

Run: python bench/webhook.py [--events 2000]. Three figures, all on the SQLite
store (a file in a temporary folder, WAL) and a fresh event per delivery:

- in process: ``verify`` + ``record``, exactly what the route runs, timed per event;
- over HTTP, one sender: the app under uvicorn on loopback, per request;
- over HTTP, eight senders at once: events per second.

Target (PERFORMANCE.md / the payments issue): warm in-process p50 ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.app import Services, create_app, record, verify  # noqa: E402
from functions.snapshots import FolderSnapshots  # noqa: E402
from functions.store import CheckoutSession, SqliteStore  # noqa: E402
from local.stripe_server.webhooks import sign_payload  # noqa: E402

SECRET = "whsec_bench"


def signed_events(store: SqliteStore, prefix: str, count: int) -> list[tuple[bytes, str]]:
    """``count`` completed checkouts, each for its own saved session, signed now."""
    deliveries = []
    for n in range(count):
        session = CheckoutSession(
            f"cs_{prefix}{n}", f"INV-{n}", "acme", None, 125000, "USD", "u", 2**31
        )
        store.save_session(session)
        event = {
            "id": f"evt_{prefix}{n}",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": session.id,
                    "payment_intent": f"pi_{prefix}{n}",
                    "amount_total": 125000,
                    "currency": "usd",
                    "payment_status": "paid",
                    "payment_method_types": ["card"],
                }
            },
        }
        body = json.dumps(event).encode()
        deliveries.append((body, sign_payload(body, SECRET)))
    return deliveries


def percentiles(ms: list[float]) -> str:
    cuts = statistics.quantiles(ms, n=100)
    return f"p50 {cuts[49]:.2f} ms, p99 {cuts[98]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "store.sqlite3")
        services = Services(
            store=store,
            snapshots=FolderSnapshots(Path(tmp)),
            sessions=None,  # type: ignore[arg-type]  # no checkout in this benchmark
            portal_secret="x" * 32,
            webhook_secret=SECRET,
            today=lambda: date(2026, 11, 23),
        )
        warm = signed_events(store, "warm", 200)
        for body, signature in warm:  # imports, caches and the SQLite file warmed up
            record(services, verify(body, signature, SECRET))  # type: ignore[arg-type]

        in_process = []
        for body, signature in signed_events(store, "p", args.events):
            started = time.perf_counter()
            event = verify(body, signature, SECRET)
            assert event is not None and record(services, event)
            in_process.append((time.perf_counter() - started) * 1000)

        config = uvicorn.Config(create_app(services), host="127.0.0.1", port=0, log_level="error")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/webhooks/stripe"

        def deliver(client: httpx.Client, delivery: tuple[bytes, str]) -> float:
            body, signature = delivery
            started = time.perf_counter()
            response = client.post(url, content=body, headers={"Stripe-Signature": signature})
            assert response.status_code == 200 and response.json()["duplicate"] is False
            return (time.perf_counter() - started) * 1000

        with httpx.Client() as client:
            over_http = [deliver(client, d) for d in signed_events(store, "h", args.events)]
            concurrent = signed_events(store, "c", args.events)
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda d: deliver(client, d), concurrent))
            per_second = len(concurrent) / (time.perf_counter() - started)
        server.should_exit = True
        thread.join(timeout=10)

    version, cores = sys.version.split()[0], os.cpu_count()
    print(f"webhook path, {args.events} fresh events each (Python {version}, {cores} cores)")
    print(f"  in process (verify + record, SQLite): {percentiles(in_process)}  target p50 ≤ 5 ms")
    print(f"  over HTTP, one sender (uvicorn):      {percentiles(over_http)}")
    print(f"  over HTTP, eight senders:             {per_second:.0f} events/s")


if __name__ == "__main__":
    main()
