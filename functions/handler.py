"""The Lambda entry point: the FastAPI app behind Mangum (API Gateway HTTP API events).

Only what every request needs is imported here; the Stripe SDK loads on the
first webhook or checkout, boto3 only when the store is DynamoDB.
"""

from __future__ import annotations

from mangum import Mangum

from functions.app import create_app
from functions.config import services_from_env

app = create_app(services_from_env())
handler = Mangum(app, lifespan="off")
