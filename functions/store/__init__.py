"""The payment store: one interface (``base.Store``), a SQLite and a DynamoDB implementation.

``DynamoStore`` imports boto3 only when one is made: importing this package stays cheap.
"""

from functions.store.base import Change, CheckoutSession, OutboxItem, Payment, Store, merge
from functions.store.dynamodb import DynamoStore
from functions.store.sqlite import SqliteStore

__all__ = [
    "Change",
    "CheckoutSession",
    "DynamoStore",
    "OutboxItem",
    "Payment",
    "SqliteStore",
    "Store",
    "merge",
]
