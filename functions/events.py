"""The Stripe events the webhook acts on, as a schema checked before any rule runs.

A validly signed body can still be one we do not understand: a field missing,
a number sent as text, an id with a path in it. ``understand`` turns the
parsed body into an ``Event`` whose every field that ``payments.plan`` and the
webhook route read has the type and alphabet Stripe documents, or into a
``NotUnderstood`` saying what failed; the rules never meet the raw body.

Only the fields we read are declared. Stripe adds fields to its objects, and
unknown ones are ignored, so a new field never makes an event not understood.
An event type we do not handle is checked for its id, type and time only: it is
recorded as seen and nothing else. Like ``plan``, this module does no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from functions.store.base import Change

# Stripe's ids are a prefix, "_" and letters and digits (Checkout's carry a mode:
# "cs_test_…"); nothing else, so an id is safe in a key, a file name or a URL.
# Stripe documents up to 255 characters.
MAX_ID = 255
# A payment intent's id becomes our payment's id, which the content model takes as a slug
# of at most 100 characters (site_builder.model.Payment): a longer one would be recorded
# and then refused by every re-publish of its client. Stripe's are under 30.
MAX_PAYMENT_ID = 100
# Far above any amount Stripe charges (eight digits in most currencies) and within every
# store's integers (SQLite's 64 bits).
MAX_AMOUNT = 10**15
# Unix seconds up to 2106: a later "created" is not a time Stripe sent.
MAX_TIMESTAMP = 2**32 - 1
# How much of a body that is not understood is kept for the person who looks at it.
EXCERPT_BYTES = 500
MAX_ERRORS = 5  # validation errors quoted in a review


def _id(*prefixes: str, max_length: int = MAX_ID) -> Any:
    pattern = rf"^(?:{'|'.join(prefixes)})_[A-Za-z0-9]+$"
    return Annotated[str, StringConstraints(pattern=pattern, max_length=max_length)]


EventId = _id("evt")
SessionId = _id("cs_test", "cs_live", "cs")
PaymentIntentId = _id("pi", max_length=MAX_PAYMENT_ID)
CustomerId = _id("cus")
SetupIntentId = _id("seti")
ChargeId = _id("ch", "py")  # "py_": a charge of a bank payment (ACH, SEPA)
DisputeId = _id("dp", "du")  # "du_": a dispute of a bank payment
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]  # Stripe's units; strict: never a bool
Currency = Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")]  # ISO 4217, as Stripe sends
Timestamp = Annotated[int, Field(ge=0, le=MAX_TIMESTAMP)]
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.]+$", max_length=100)]
MethodType = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=64)]


class _Model(BaseModel):
    # strict: "12" is not 12 and true is not 1; extra fields: Stripe's, ignored
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class PaidSession(_Model):
    """A Checkout Session in a completed or asynchronous-payment event."""

    id: SessionId
    payment_intent: PaymentIntentId
    amount_total: Amount
    currency: Currency
    payment_status: Literal["paid", "unpaid", "no_payment_required"]
    payment_method_types: Annotated[list[MethodType], Field(max_length=100)] = []


class ExpiredSession(_Model):
    id: SessionId


class SetupMetadata(_Model):
    """What /autopay put on the setup session: whose method it saves."""

    client: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    purpose: Literal["autopay"]


class SetupSession(_Model):
    """A Checkout Session in ``setup`` mode (autopay's enrolment), completed."""

    id: SessionId
    mode: Literal["setup"]
    customer: CustomerId
    setup_intent: SetupIntentId
    metadata: SetupMetadata


Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]


class AutopayMetadata(_Model):
    """What the daily job put on an automatic charge (``functions/autopay/charges.py``)."""

    invoice: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    client: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    instalment: Annotated[str, StringConstraints(pattern=r"^(|[1-9][0-9]{0,3})$")] = ""
    amount: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]  # our minor units
    autopay: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]?$")]  # the attempt
    charge_day: Annotated[str, StringConstraints(pattern=r"^(|\d{4}-\d{2}-\d{2})$")] = ""


class IntentError(_Model):
    code: Code | None = None
    decline_code: Code | None = None


class AutopayIntent(_Model):
    """A PaymentIntent the daily job created off-session (its metadata says so)."""

    id: PaymentIntentId
    amount: Amount
    currency: Currency
    metadata: AutopayMetadata
    payment_method_types: Annotated[list[MethodType], Field(max_length=100)] = []
    last_payment_error: IntentError | None = None


class Charge(_Model):
    """The charge of a ``charge.refunded`` event: ``amount_refunded`` is the total so far."""

    id: ChargeId
    payment_intent: PaymentIntentId | None = None
    amount_refunded: Amount
    currency: Currency


class Dispute(_Model):
    id: DisputeId
    payment_intent: PaymentIntentId | None = None
    amount: Amount
    currency: Currency


Object = TypeVar("Object", bound=_Model)


class Data(_Model, Generic[Object]):
    object: Object


class Event(_Model):
    """What every event has; an event of a type we do not handle is read no further."""

    id: EventId
    type: EventType
    created: Timestamp

    def plain(self) -> dict[str, Any]:
        """The event as ``payments.plan`` reads it: the checked fields only."""
        return self.model_dump(exclude_none=True)


class SessionPaidEvent(Event):
    data: Data[PaidSession]


class SessionExpiredEvent(Event):
    data: Data[ExpiredSession]


class SetupCompletedEvent(Event):
    data: Data[SetupSession]


class AutopayIntentEvent(Event):
    data: Data[AutopayIntent]


# A PaymentIntent's events are read only for an automatic charge (``metadata.autopay``): a
# Checkout payment is recorded from its session's events
AUTOPAY_KINDS = frozenset(
    {"payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed"}
)


class RefundEvent(Event):
    data: Data[Charge]


class DisputeEvent(Event):
    data: Data[Dispute]


# The schema of each event type ``payments.plan`` handles (its HANDLED, which a test holds
# to the same set); any other type is an ``Event``.
KINDS: dict[str, type[Event]] = {
    "checkout.session.completed": SessionPaidEvent,
    "checkout.session.async_payment_succeeded": SessionPaidEvent,
    "checkout.session.async_payment_failed": SessionPaidEvent,
    "checkout.session.expired": SessionExpiredEvent,
    "charge.refunded": RefundEvent,
    "charge.dispute.created": DisputeEvent,
}
_EVENT_ID: TypeAdapter[str] = TypeAdapter(EventId)


@dataclass(frozen=True)
class NotUnderstood:
    """A signed body that fails the schema: what failed, and its id if it has a usable one."""

    errors: tuple[str, ...]  # "data.object.payment_intent: String should match pattern …"
    event_id: str | None
    type: str | None


def understand(body: Mapping[str, Any]) -> Event | NotUnderstood:
    """The event, checked against the schema of its type; or what failed."""
    kind = body.get("type")
    kind = kind if isinstance(kind, str) else None  # a signed body may carry any JSON here
    model = KINDS.get(kind, Event) if kind is not None else Event
    if kind == "checkout.session.completed" and _mode(body) == "setup":
        model = SetupCompletedEvent  # a saved method (functions/autopay/saved.py), no money
    if kind in AUTOPAY_KINDS and _is_autopay(body):
        model = AutopayIntentEvent  # an automatic charge (functions/autopay/recording.py)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        return NotUnderstood(
            errors=tuple(_describe(e) for e in exc.errors()[:MAX_ERRORS]),
            event_id=_usable_id(body.get("id")),
            type=kind[:100] if kind is not None else None,
        )


def review(failure: NotUnderstood, body: bytes) -> Change:
    """What a body that is not understood changes: one review, and nothing else.

    It is recorded under the event's id, so a retry of it is a duplicate; a body without a
    usable id is keyed by its hash, which a retry (the same bytes) shares.
    """
    key = failure.event_id or f"body:{hashlib.sha256(body).hexdigest()}"
    excerpt = body[:EXCERPT_BYTES].decode("utf-8", "replace")
    details = {
        "problem": "event not understood",
        "type": failure.type,
        "errors": list(failure.errors),
        "excerpt": excerpt + ("…" if len(body) > EXCERPT_BYTES else ""),
    }
    return Change(key, reviews=[details])


def _mode(body: Mapping[str, Any]) -> Any:
    data = body.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    return obj.get("mode") if isinstance(obj, Mapping) else None


def _is_autopay(body: Mapping[str, Any]) -> bool:
    data = body.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    return isinstance(metadata, Mapping) and "autopay" in metadata


def _usable_id(value: Any) -> str | None:
    try:
        return _EVENT_ID.validate_python(value, strict=True)
    except ValidationError:
        return None


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "event"
    return f"{where}: {error['msg']}"
