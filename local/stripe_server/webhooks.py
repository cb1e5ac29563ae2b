"""Signed webhook deliveries, on one background thread, in order of event creation."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Pause before each retry of a failed delivery: attempts at +0, 0.5, 1.5, 3.5 and 7.5 s.
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for a payload, as ``stripe.Webhook`` verifies it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one copy of an event."""

    event_id: str
    event_type: str
    url: str
    attempt: int  # 1 for the first try, 2 for the first retry…
    copy: int  # 1..duplicate_deliveries
    status: int | None  # HTTP status, None when the request itself failed
    error: str | None
    at: float  # time.time() when the attempt started
    duration: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    event_id: str = field(compare=False)
    event_type: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=1)
    copy: int = field(compare=False, default=1)


class WebhookDispatcher:
    """Sends each event to ``url`` (``duplicate_deliveries`` times), retrying failures."""

    def __init__(
        self,
        *,
        url: str | None,
        secret: str,
        duplicate_deliveries: int = 1,
        delivery_delay: float = 0.0,
        retry: bool = True,
        timeout: float = 10.0,
        on_delivered: Callable[[str], None] | None = None,
    ) -> None:
        if duplicate_deliveries < 1:
            raise ValueError("duplicate_deliveries must be at least 1")
        self.secret = secret
        self.duplicate_deliveries = duplicate_deliveries
        self.delivery_delay = delivery_delay
        self.retry = retry
        self.timeout = timeout
        self._url = url
        self._on_delivered = on_delivered
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self._seq = 0
        self._busy = False
        self._stopping = False
        self._deliveries: list[Delivery] = []
        self._thread: threading.Thread | None = None
        # Never go through a proxy (deliveries are to loopback) and never follow redirects:
        # Stripe counts a 3xx answer as a failed delivery.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    @property
    def url(self) -> str | None:
        return self._url

    @url.setter
    def url(self, value: str | None) -> None:
        with self._cond:
            self._url = value

    def pending_endpoints(self) -> int:
        return 1 if self._url else 0

    @property
    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._deliveries)

    def clear(self) -> None:
        with self._cond:
            self._queue.clear()
            self._deliveries.clear()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-local-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue every copy of an event (call in event-creation order)."""
        with self._cond:
            if not self._url:
                return
            body = json.dumps(event, indent=2).encode()
            due = time.monotonic() + self.delivery_delay
            for copy in range(1, self.duplicate_deliveries + 1):
                self._push(due, event["id"], event["type"], body, 1, copy)
            self._cond.notify_all()

    def _push(
        self, due: float, event_id: str, event_type: str, body: bytes, attempt: int, copy: int
    ) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _Job(due, self._seq, event_id, event_type, body, attempt, copy))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is queued or being sent (retries included); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    if not self._queue:
                        self._cond.wait()
                        continue
                    wait = self._queue[0].due - time.monotonic()
                    if wait > 0:
                        self._cond.wait(wait)
                        continue
                    job = heapq.heappop(self._queue)
                    url = self._url
                    self._busy = True
                    break
            delivery = self._send(job, url) if url else None
            with self._cond:
                if delivery is not None:
                    self._deliveries.append(delivery)
                    if not delivery.ok and self.retry and job.attempt <= len(RETRY_DELAYS):
                        due = time.monotonic() + RETRY_DELAYS[job.attempt - 1]
                        self._push(
                            due, job.event_id, job.event_type, job.body, job.attempt + 1, job.copy
                        )
                self._busy = False
                self._cond.notify_all()
            if delivery is not None and delivery.ok and self._on_delivered is not None:
                self._on_delivered(job.event_id)

    def _send(self, job: _Job, url: str) -> Delivery:
        request = urllib.request.Request(
            url,
            data=job.body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "*/*; q=0.5, application/xml",
                "Cache-Control": "no-cache",
                "User-Agent": USER_AGENT,
                "Stripe-Signature": sign_payload(job.body, self.secret),
            },
        )
        started = time.time()
        status: int | None = None
        error: str | None = None
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Delivery(
            event_id=job.event_id,
            event_type=job.event_type,
            url=url,
            attempt=job.attempt,
            copy=job.copy,
            status=status,
            error=error,
            at=started,
            duration=time.time() - started,
        )
