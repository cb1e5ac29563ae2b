"""What the functions ask of Stripe's Checkout Sessions (the SDK's client, or the same client
pointed at the local Stripe-compatible server): open one, and look one up (with ``params``
such as ``{"expand": [...]}``: the webhook reads the paying method off its payment intent)."""

from __future__ import annotations

from typing import Any, Protocol


class SessionsApi(Protocol):
    def create(self, params: dict[str, Any], options: dict[str, Any]) -> Any: ...
    def retrieve(self, session_id: str, params: dict[str, Any] | None = None) -> Any: ...
