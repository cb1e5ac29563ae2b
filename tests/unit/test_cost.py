"""The cost model's arithmetic (bench/cost.py): usage times list price, nothing measured."""

from __future__ import annotations

from decimal import Decimal

from bench.cost import PRICES, Measured, monthly


def test_the_model_prices_every_service_and_email_per_message() -> None:
    measured = Measured(warm_health_ms=1.0, warm_webhook_ms=5.0, cold_ms=400.0, page_kb=4.0)
    table = monthly(1000, 10, measured)
    assert {"S3", "CloudFront", "Lambda", "DynamoDB", "SES", "API Gateway"} <= set(table)
    assert all(
        isinstance(v, Decimal) and v >= 0 for lines in table.values() for v in lines.values()
    )
    # 10,000 invoices: a receipt each and 1.5 reminders on average
    assert table["SES"]["messages"] == Decimal(25_000) / 1000 * PRICES["ses_1k"]
    double = monthly(2000, 10, measured)
    assert double["SES"]["messages"] == 2 * table["SES"]["messages"]
