"""The plain records the in-memory account is made of: what a request was, what the page
should do next, and the collections of objects (kept apart so ``state`` and ``wallet`` both
read them without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .sessions import SessionRecord


@dataclass(frozen=True)
class RequestInfo:
    """Who caused an event: an API request (with its id and idempotency key) or nobody."""

    request_id: str | None = None
    idempotency_key: str | None = None


AUTOMATIC = RequestInfo()


@dataclass
class PayResult:
    """What the hosted page should do after a payment attempt."""

    outcome: str  # "redirect" | "complete" | "declined" | "closed" | "missing"
    status: int = 200
    redirect_url: str | None = None
    message: str | None = None


@dataclass
class IdempotentResponse:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes


@dataclass
class _Collections:
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    events_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, IdempotentResponse] = field(default_factory=dict)
    settlements: dict[str, bool] = field(default_factory=dict)  # bank debits: intent -> succeeds
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    setup_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # how a saved method behaves when used: {"card": number} | {"bank_failure": code | None}
    method_sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    bank_failures: dict[str, str] = field(default_factory=dict)  # intent -> return code
