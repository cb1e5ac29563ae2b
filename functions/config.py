"""Services from the environment: the one place that picks local or AWS implementations."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions.app import Services
from functions.mailer import mailer_from_env
from functions.secrets import names_parameters, resolve_secrets
from functions.site import FolderSite, S3Site, Site
from functions.snapshots import FolderSnapshots, S3Snapshots, Snapshots
from functions.store.base import Store

# Seconds per request to Stripe (the SDK's own default is 80): the SDK tries up to three
# times, and API Gateway answers 504 after 29 s, so a webhook that asks Stripe for a payment's
# method, or a Pay press, still answers inside it when Stripe does not.
STRIPE_TIMEOUT = 8


class StripeSessions:
    """Checkout Sessions (and autopay's Customers, SetupIntents, PaymentIntents and
    PaymentMethods) through the real SDK, imported on first use (cold starts stay light).

    ``STRIPE_API_BASE`` points the SDK at the local Stripe-compatible server.
    """

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        self.api_key, self.api_base = api_key, api_base
        self._api: Any = None

    def create(self, params: dict[str, Any], options: dict[str, Any]) -> Any:
        return self._sessions().create(params, options)

    def retrieve(self, session_id: str, params: dict[str, Any] | None = None) -> Any:
        return self._sessions().retrieve(session_id, params)

    # autopay's objects (functions/autopay/stripe_api.py), through the same client
    def create_customer(self, params: dict[str, Any], options: dict[str, Any]) -> Any:
        return self._client().v1.customers.create(params, options)

    def retrieve_setup_intent(self, intent: str, params: dict[str, Any] | None = None) -> Any:
        return self._client().v1.setup_intents.retrieve(intent, params)

    def retrieve_payment_intent(self, intent: str, params: dict[str, Any] | None = None) -> Any:
        return self._client().v1.payment_intents.retrieve(intent, params)

    def create_payment_intent(self, params: dict[str, Any], options: dict[str, Any]) -> Any:
        return self._client().v1.payment_intents.create(params, options)

    def detach_payment_method(self, method: str) -> Any:
        return self._client().v1.payment_methods.detach(method)

    def _sessions(self) -> Any:
        return self._client().v1.checkout.sessions

    def _client(self) -> Any:
        if self._api is None:
            import stripe

            bases = {"api": self.api_base} if self.api_base else {}
            self._api = stripe.StripeClient(
                self.api_key,
                base_addresses=bases,  # type: ignore[arg-type]
                http_client=stripe.new_default_http_client(timeout=STRIPE_TIMEOUT),
            )
        return self._api


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


class LazyClient:
    """A boto3 client made on first use: a request that never touches S3 never pays for it."""

    def __init__(self, service: str, env: Mapping[str, str]) -> None:
        self.service, self.env = service, env
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                self.service,
                region_name=self.env.get("AWS_REGION", "us-east-1"),
                endpoint_url=self.env.get("AWS_ENDPOINT_URL"),
            )
        return getattr(self._client, name)


def snapshots_from_env(env: Mapping[str, str]) -> Snapshots:
    if bucket := env.get("PORTAL_DATA_BUCKET"):
        return S3Snapshots(bucket, LazyClient("s3", env))
    return FolderSnapshots(Path(env.get("PORTAL_BUILD", "build")) / "clients")


def site_from_env(env: Mapping[str, str]) -> Site:
    if bucket := env.get("PORTAL_SITE_BUCKET"):
        return S3Site(bucket, LazyClient("s3", env))
    return FolderSite(Path(env.get("PORTAL_PUBLIC", "public")))


def services_from_env(env: Mapping[str, str] | None = None) -> Services:
    """Local by default (SQLite, build/, public/, mail folder or SMTP); AWS when named."""
    env = os.environ if env is None else env
    if names_parameters(env):  # deployed: the secrets are in SSM, the environment names them
        env = resolve_secrets(env)
    return Services(
        store=store_from_env(env),
        snapshots=snapshots_from_env(env),
        sessions=StripeSessions(env.get("STRIPE_SECRET_KEY", ""), env.get("STRIPE_API_BASE")),
        portal_secret=env.get("PORTAL_SECRET", ""),
        webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        timezone=env.get("PORTAL_TIMEZONE", "UTC"),
        mailer=mailer_from_env(env),
        site=site_from_env(env),
    )
