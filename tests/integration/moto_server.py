"""moto's standalone server as the tests run it: one request at a time, cheap transactions.

Two changes to the emulator, neither to what it answers:

- Requests are served one by one. moto's threaded server runs concurrent
  TransactWriteItems unguarded: both can pass the same condition. Real DynamoDB
  applies each request atomically; serving requests one by one restores that (the
  clients' read / transact sequences still interleave, which is what the
  concurrency tests are about).
- TransactWriteItems checks every condition first and writes only if all hold.
  moto instead writes as it goes and, to roll back, deep-copies each table the
  transaction names before it starts: O(table) time per transaction and memory
  that grew past 10 GB in a 600-event storm. With requests served one by one,
  check-then-write is just as atomic.

Run: python -m tests.integration.moto_server -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys
from typing import Any

import moto.server
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import TooManyTransactionsException, TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from werkzeug.serving import run_simple


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    ops = [next(iter(item.items())) for item in transact_items]
    errors: list[tuple[str | None, str | None, None]] = []
    for op_type, op in ops:
        condition = op.get("ConditionExpression")
        current = self.get_item(op["TableName"], _key(self, op_type, op))
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if condition and not get_filter_expression(condition, names, values).expr(current):
            errors.append(("ConditionalCheckFailed", "The conditional request failed", None))
        else:
            errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    for op_type, op in ops:
        table, names = op["TableName"], op.get("ExpressionAttributeNames")
        if op_type == "Put":
            self.put_item(table, op["Item"])
        elif op_type == "Delete":
            self.delete_item(table, op["Key"])
        elif op_type == "Update":
            self.update_item(
                table,
                op["Key"],
                update_expression=op["UpdateExpression"],
                expression_attribute_names=names,
                expression_attribute_values=op.get("ExpressionAttributeValues"),
            )


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    table, item = backend.get_table(op["TableName"]), op["Item"]
    key = {table.hash_key_attr: item[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item[table.range_key_attr]
    return key


def run_one_at_a_time(*args: Any, **kwargs: Any) -> None:
    kwargs["threaded"] = False
    run_simple(*args, **kwargs)


if __name__ == "__main__":
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    moto.server.run_simple = run_one_at_a_time  # type: ignore[attr-defined]
    moto.server.main(sys.argv[1:])
