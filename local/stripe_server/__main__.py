"""``python -m local.stripe_server --port 12111 --webhook-url URL --webhook-secret whsec_…``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from types import FrameType

from .server import DEFAULT_API_KEY, LocalStripe


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.stripe_server",
        description="Local Stripe-compatible server on 127.0.0.1 (state in memory only).",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--webhook-url", help="where to POST signed events")
    parser.add_argument("--webhook-secret", help="whsec_… signing secret (default: random)")
    parser.add_argument("--duplicate-deliveries", type=int, default=1, metavar="N")
    parser.add_argument("--delivery-delay", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--async-payment-delay", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--no-retry", action="store_true", help="do not retry failed deliveries")
    args = parser.parse_args(argv)
    if args.webhook_secret and not args.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")
    server = LocalStripe(
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        duplicate_deliveries=args.duplicate_deliveries,
        delivery_delay=args.delivery_delay,
        async_payment_delay=args.async_payment_delay,
        retry=not args.no_retry,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    with server:
        print(f"Local Stripe listening on {server.url}", flush=True)
        print(f"  API key:        any sk_… key, e.g. {DEFAULT_API_KEY}", flush=True)
        print(f"  webhook URL:    {server.webhook_url or '(none: events are only recorded)'}")
        print(f"  webhook secret: {server.webhook_secret}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
