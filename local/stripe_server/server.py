"""Run the local Stripe in a background thread: ``with LocalStripe(...) as stripe_server: ...``."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import build_app
from .records import PayResult
from .state import Store
from .webhooks import Delivery, WebhookDispatcher

if TYPE_CHECKING:
    import stripe

HOST = "127.0.0.1"
DEFAULT_API_KEY = "sk_test_local"


class _SaveAfterWrites:
    """ASGI middleware: after every request that may change the account, save it."""

    def __init__(self, app: ASGIApp, save: Callable[[], None]) -> None:
        self.app, self.save = app, save

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
                self.save()


class LocalStripe:
    """A Stripe-compatible HTTP server on 127.0.0.1, all state in memory.

    Point the real SDK at it with ``stripe.StripeClient(key, base_addresses={"api": url})``
    (or use :meth:`client`). Events are signed with ``webhook_secret`` and POSTed to
    ``webhook_url`` on a background thread.

    With ``state_file``, the account is also saved there after every change and taken
    back at start, so it outlives the process as Stripe outlives a merchant's server:
    events not yet acknowledged are delivered again and bank debits go on settling.
    """

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        duplicate_deliveries: int = 1,
        delivery_delay: float = 0.0,
        async_payment_delay: float = 2.0,
        retry: bool = True,
        port: int = 0,
        webhook_timeout: float = 10.0,
        state_file: Path | None = None,
    ) -> None:
        self.webhook_secret = webhook_secret or f"whsec_{secrets.token_hex(24)}"
        self.port = port
        self.url = ""
        self.state_file = state_file
        self.dispatcher = WebhookDispatcher(
            url=webhook_url,
            secret=self.webhook_secret,
            duplicate_deliveries=duplicate_deliveries,
            delivery_delay=delivery_delay,
            retry=retry,
            timeout=webhook_timeout,
            on_delivered=self._delivered,
        )
        self.store = Store(
            async_payment_delay=async_payment_delay,
            on_event=self._on_event,
            pending_webhooks=self.dispatcher.pending_endpoints,
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> LocalStripe:
        """Bind 127.0.0.1 (a free port unless ``port`` was given), serve, wait until ready."""
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.store.base_url = self.url
        app: ASGIApp = build_app(self.store)
        if self.state_file is not None:
            app = _SaveAfterWrites(app, self.save)
            if self.state_file.exists():
                self.store.load(json.loads(self.state_file.read_text(encoding="utf-8")))
                self.store.expire_elsewhere()  # a session of a previous port is no use
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="stripe-local", daemon=True
        )
        self._server, self._thread = server, thread
        self.dispatcher.start()
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError("the local Stripe server did not start")
            time.sleep(0.01)
        return self

    def save(self) -> None:
        """Write the account to ``state_file`` (if any) in one rename: old or new, never half."""
        if self.state_file is None:
            return
        # under the account's lock: saves happen in the order of the changes they record
        with self.store.lock:
            data = json.dumps(self.store.dump()).encode()
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            temp = self.state_file.with_name(f".{self.state_file.name}.tmp")
            temp.write_bytes(data)
            temp.replace(self.state_file)

    def _on_event(self, event: dict[str, Any]) -> None:
        self.dispatcher.enqueue(event)
        self.save()  # the event is owed to the endpoint from now on, whatever happens

    def _delivered(self, event_id: str) -> None:
        self.store.mark_delivered(event_id)
        self.save()

    def stop(self) -> None:
        """Stop serving and delivering; cancel bank settlements (a state file keeps them)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(10)
        self.dispatcher.stop()
        self.store.close()

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- inspection and helpers for tests -----------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        return self.dispatcher.url

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None:
        """Change where later events go (e.g. once the app under test knows its port)."""
        self.dispatcher.url = value

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event so far, oldest first (copies)."""
        return self.store.events()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery attempt so far, in the order they were made."""
        return self.dispatcher.deliveries

    def client(self, api_key: str = DEFAULT_API_KEY, **options: Any) -> stripe.StripeClient:
        """A real ``stripe.StripeClient`` pointed at this server."""
        import stripe

        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **options)

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        """Wait until every queued delivery (and retry) has been attempted; False on timeout."""
        return self.dispatcher.wait_idle(timeout)

    def wait_for_event(
        self,
        event_type: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The first event of a type (matching ``predicate``), waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["type"] == event_type and (predicate is None or predicate(event)):
                    return event
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event_type} event within {timeout} s")
            time.sleep(0.02)

    def pay(
        self, session_id: str, method: str = "card", card_number: str = "4242424242424242"
    ) -> PayResult:
        """Pay as the hosted page would (method: card, bank_ok or bank_fail)."""
        return self.store.pay(session_id, method, card_number)

    def advance_time(self, seconds: float) -> None:
        """Move the server's clock forward; open sessions past ``expires_at`` expire."""
        self.store.advance_time(seconds)

    def reset(self) -> None:
        """Forget all objects, events, idempotency keys and delivery records."""
        with self.store.lock:
            self.store.reset()
            self.dispatcher.clear()
        self.save()
