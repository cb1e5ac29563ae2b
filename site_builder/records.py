"""What the build core reads of the payment store: an interface it owns.

``portal status``, the agency report and ``portal import`` look at recorded payments and the
outbox, but the store lives in ``functions/`` (a layer above this one). So the build core names
the little it reads here, and ``functions.store`` (SQLite, DynamoDB) satisfies it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class RecordedPayment(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def invoice(self) -> str: ...
    @property
    def client(self) -> str: ...
    @property
    def amount(self) -> int: ...  # minor units
    @property
    def refunded(self) -> int: ...
    @property
    def received(self) -> str: ...  # YYYY-MM-DD
    @property
    def status(self) -> str: ...
    @property
    def disputed(self) -> bool: ...


class PendingWork(Protocol):
    """An outbox item not yet done: an email to send, a client's pages to re-publish."""

    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def last_error(self) -> str: ...


class PaymentRecords(Protocol):
    def payments(self, invoice: str | None = None) -> Sequence[RecordedPayment]: ...
    def reviews(self) -> Sequence[Mapping[str, Any]]: ...
    def unsent(self) -> Sequence[PendingWork]: ...
