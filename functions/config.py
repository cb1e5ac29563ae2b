"""Services from the environment: the one place that picks local or AWS implementations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions.app import Services
from functions.snapshots import FolderSnapshots
from functions.store.base import Store


class StripeSessions:
    """Checkout Sessions through the real SDK, imported on first use (cold starts stay light).

    ``STRIPE_API_BASE`` points the SDK at the local Stripe-compatible server.
    """

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        self.api_key, self.api_base = api_key, api_base
        self._api: Any = None

    def create(self, params: dict[str, Any], options: dict[str, Any]) -> Any:
        if self._api is None:
            import stripe

            bases = {"api": self.api_base} if self.api_base else {}
            client = stripe.StripeClient(self.api_key, base_addresses=bases)  # type: ignore[arg-type]
            self._api = client.v1.checkout.sessions
        return self._api.create(params, options)


def store_from_env(env: Mapping[str, str]) -> Store:
    if table := env.get("PORTAL_TABLE"):
        from functions.store.dynamodb import DynamoStore

        return DynamoStore(
            table,
            region=env.get("AWS_REGION", "us-east-1"),
            endpoint_url=env.get("AWS_ENDPOINT_URL"),
        )
    from functions.store.sqlite import SqliteStore

    return SqliteStore(env.get("PORTAL_STORE", ".portal/store.sqlite3"))


def services_from_env(env: Mapping[str, str] | None = None) -> Services:
    env = os.environ if env is None else env
    build_dir = Path(env.get("PORTAL_BUILD", "build"))
    return Services(
        store=store_from_env(env),
        snapshots=FolderSnapshots(build_dir / "clients"),
        sessions=StripeSessions(env.get("STRIPE_SECRET_KEY", ""), env.get("STRIPE_API_BASE")),
        portal_secret=env.get("PORTAL_SECRET", ""),
        webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        timezone=env.get("PORTAL_TIMEZONE", "UTC"),
    )
