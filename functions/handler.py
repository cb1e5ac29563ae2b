"""The Lambda entry point: the FastAPI app behind Mangum, and the scheduled jobs.

API Gateway HTTP API events go to the app. EventBridge schedules invoke the
same function with ``{"job": "drain"}`` (the outbox, and the clients whose pages cross a
boundary today) or ``{"job": "remind"}``.
Only what every request needs is imported here; the Stripe SDK loads on the
first webhook or checkout, boto3 only when the store is DynamoDB, the mailer
and the templates only when a job runs.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from functions.app import create_app
from functions.config import services_from_env

services = services_from_env()
app = create_app(services)
_http = Mangum(app, lifespan="off")


DRAIN_SECONDS = 40.0


def handler(event: dict[str, Any], context: Any) -> Any:
    job = event.get("job") if isinstance(event, dict) else None
    if job is None:
        return _http(event, context)
    return run_job(job)


def run_job(job: str) -> dict[str, Any]:
    if job == "drain":
        from functions.pages import queue_page_changes
        from functions.work import drain_outbox

        # every five minutes: the first run after midnight (in the agency's zone) finds the
        # clients whose pages cross a boundary today, and this drain re-publishes them
        queued = queue_page_changes(services.store, services.day())
        # passes of 200 for up to 40 s, inside the function's 60 s: a day's page changes at
        # 10,000 clients (~2,300 re-publishes) take a few runs, not an hour of them
        report = drain_outbox(services, limit=200, seconds=DRAIN_SECONDS)
        return {
            "job": job,
            "done": len(report.done),
            "retried": len(report.retried),
            "pages_due": len(queued),
        }
    if job == "remind":
        from functions.reminders.job import remind_job

        return remind_job(services)
    raise ValueError(f"unknown job {job!r}")
