"""What autopay asks of Stripe besides Checkout Sessions: Customers, SetupIntents,
PaymentIntents and PaymentMethods.

The SDK's client (``functions.config.StripeSessions``) answers both this and
``functions.sessions.SessionsApi``, so every process that can open a checkout can enrol a
client; a test may hand the routes any object with these methods.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class StripeObjects(Protocol):
    def create_customer(self, params: dict[str, Any], options: dict[str, Any]) -> Any: ...
    def retrieve_setup_intent(self, intent: str, params: dict[str, Any] | None = None) -> Any: ...
    def retrieve_payment_intent(self, intent: str, params: dict[str, Any] | None = None) -> Any: ...
    def create_payment_intent(self, params: dict[str, Any], options: dict[str, Any]) -> Any: ...
    def detach_payment_method(self, method: str) -> Any: ...
