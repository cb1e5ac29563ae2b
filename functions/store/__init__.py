"""The payment store: one interface (``base.Store``), a SQLite and a DynamoDB implementation."""

from functions.store.base import Change, CheckoutSession, OutboxItem, Payment, Store, merge
from functions.store.sqlite import SqliteStore

__all__ = ["Change", "CheckoutSession", "OutboxItem", "Payment", "SqliteStore", "Store", "merge"]
