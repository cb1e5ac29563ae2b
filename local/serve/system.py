"""``portal serve``: wiring and lifecycle of the whole system on one machine.

One port (default 8000) serves the static site, the API under ``/api`` (the
same FastAPI app as on Lambda) and the agency page; the next port serves the
local Stripe-compatible server and its hosted checkout page, unless
``STRIPE_SECRET_KEY`` names Stripe's test mode. Everything binds 127.0.0.1.

The build goes to ``.portal/serve/`` with these local addresses, never to
``portal build``'s ``public/``. The store is the SQLite file every local
command shares, mail goes to ``.portal/outbox``, and the local Stripe keeps its
account in ``.portal/serve/stripe-local.json``: a restart loses nothing, since
events not yet acknowledged are delivered again, bank debits go on settling,
and the outbox's work is in the store.

A build and a drain pass never overlap (one lock): both write the site, and a
build counts the payments recorded when it starts, so a payment recorded during
a build is re-published by the drain right after it.

Bulkheads: nothing one bad record holds stops start-up. A recorded payment the
build cannot count (one that no longer validates, or names an invoice the
content does not issue to its client) is left out of its client's pages; an
outbox item that fails is retried with back-off by the drain, in the
background; a client whose snapshot does not load is left off the list of
portals. Each such problem is printed once and listed on the agency page.
Content errors still stop start-up, as they stop ``portal build``.

Only this machine's own names are answered (``LoopbackHost``): a web page that
rebinds its DNS name to 127.0.0.1 cannot read the agency page through the
visitor's browser. Ctrl-C or SIGTERM stops everything and exits 0, with no
traceback from a worker process.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from functions import work
from functions.app import Services, create_app
from functions.config import StripeSessions
from functions.deliveries import load_ledger
from functions.mailer import mailer_from_env
from functions.outbox import DrainReport
from functions.recorded import by_client, methods_by_client, receipt_numbers
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store.base import Store
from functions.store.sqlite import SqliteStore
from local.serve.agency_page import AgencyView, PortalLink, agency_app, gather, page_key
from local.serve.static import site_headers, static_site
from local.serve.watcher import Watcher, notified
from local.stripe_server import DEFAULT_API_KEY, LocalStripe
from site_builder import i18n
from site_builder.build import BuildReport
from site_builder.build import build as run_build
from site_builder.errors import ContentInvalid
from site_builder.model import STRIPE_CHECKOUT
from site_builder.receivables.load import load_agency
from site_builder.render import DEFAULT_THEME
from site_builder.tokens import portal_secret
from site_builder.views import origin

HOST = "127.0.0.1"
BANK_DEBIT_SECONDS = 5.0  # how long a local bank debit takes to settle: long enough to see it
DRAIN_EVERY = 0.5  # seconds between outbox passes (a webhook wakes the drain at once)
PROBLEM_CHARS = 300  # of an exception's text, in a printed problem
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

Say = Callable[[str], None]


class ServeError(Exception):
    """Why ``portal serve`` cannot start, in words for a person."""


@dataclass
class ServeOptions:
    content: Path = Path("content")
    port: int = 8000  # 0: free ports (tests)
    today: date | None = None  # None: the agency's today, day by day
    store: Path = Path(".portal/store.sqlite3")
    home: Path = Path(".portal")  # serve/ (site, build, local Stripe) and outbox/ (mail)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True)
class Payments:
    """Where checkouts go: the local Stripe-compatible server, or Stripe's test mode."""

    local: bool
    api_key: str
    api_base: str | None
    webhook_secret: str
    checkout_url: str  # the checkout pages' origin: the Pay forms' CSP names it


def payments_from_env(env: Mapping[str, str]) -> Payments | None:
    """Stripe's test mode when ``STRIPE_SECRET_KEY`` is set; None: the local server."""
    key = env.get("STRIPE_SECRET_KEY", "").strip()
    if not key:
        return None
    if not key.startswith(("sk_test_", "rk_test_")):
        raise ServeError(
            "portal serve takes a Stripe test-mode key only (sk_test_…): it is for trying "
            "the portal out on this machine, and no real money should move through it."
        )
    webhook_secret = env.get("STRIPE_WEBHOOK_SECRET", "").strip()
    if not webhook_secret:
        raise ServeError(
            "STRIPE_SECRET_KEY is set, so portal serve uses Stripe's test mode: set "
            "STRIPE_WEBHOOK_SECRET too, to the signing secret that "
            "`stripe listen --forward-to 127.0.0.1:PORT/api/webhooks/stripe` prints."
        )
    base = env.get("STRIPE_API_BASE", "").strip() or None
    # a Stripe-compatible server named by STRIPE_API_BASE hosts its checkout pages itself
    checkout = origin(base) if base else STRIPE_CHECKOUT
    return Payments(False, key, base, webhook_secret, checkout)


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def bind_ports(port: int, count: int) -> list[socket.socket]:
    """``count`` sockets on consecutive ports from ``port``; from a free one when 0."""
    for _ in range(1 if port else 50):
        first = _bind(port) if port else _bind(0)
        base = first.getsockname()[1]
        bound = [first]
        try:
            for n in range(1, count):
                bound.append(_bind(base + n))
            return bound
        except (OSError, OverflowError):
            for sock in bound:
                sock.close()
            if port:
                raise
    raise OSError("no free pair of ports found")


def resume_outbox(store: Store, now: float) -> int:
    """Make work a stopped serve had taken (or was waiting to retry) due again now.

    A drain that dies holds its item for the lease (5 minutes); this store has no
    other drain while serve runs, so a restart takes everything up at once, except
    permanent failures, which wait for a person.
    """
    resumed = 0
    for item in store.unsent():
        if item.next_attempt > now and not item.last_error.startswith("permanent:"):
            reason = item.last_error or "interrupted: portal serve stopped while doing it"
            store.retry(item.key, reason, now)
            resumed += 1
    return resumed


def one_line(exc: BaseException) -> str:
    """An exception in one short line, whatever its text (pydantic's runs over several)."""
    if isinstance(exc, ValidationError):  # the field and the reason, without the links
        found = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        text = f"{exc.title}: {found}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= PROBLEM_CHARS else text[: PROBLEM_CHARS - 1] + "…"


def until_midnight(now: datetime) -> float:
    """Seconds from ``now`` (aware, in the agency's zone) to the next midnight there, plus one,
    so the day has turned when it wakes (a DST day is 23 or 25 hours long)."""
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    # in UTC: between two times of one zone Python subtracts wall clocks, blind to DST
    return (tomorrow.astimezone(UTC) - now.astimezone(UTC)).total_seconds() + 1


def loopback_hosts(port: int) -> frozenset[str]:
    """The Host header values that name this server: its loopback names with its port."""
    hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    if port == 80:  # a browser leaves the default port out
        hosts.update(LOOPBACK_NAMES)
    return frozenset(hosts)


def host_refusal(values: list[bytes], allowed: frozenset[str]) -> tuple[int, str] | None:
    """Why a request's Host headers are refused, as (status, text); None if they are fine."""
    if len(values) != 1:
        return 400, "Bad request: one Host header is needed.\n"
    host = values[0].decode("latin-1").strip().lower()
    if host in allowed:
        return None
    where = min(allowed, key=lambda h: (not h.startswith("127."), h))
    return 421, f"Misdirected request: this local server answers only to http://{where}/.\n"


class LoopbackHost:
    """ASGI middleware: answer only requests that name this server by a loopback address.

    DNS rebinding: a page from any site can point its own host name at 127.0.0.1,
    and the visitor's browser then lets it read what this server answers, as the
    same origin. The Host header still carries that foreign name, so anything but
    ``127.0.0.1:<port>``, ``localhost:<port>`` or ``[::1]:<port>`` gets 421.
    (Starlette's TrustedHostMiddleware compares host names without their port.)
    """

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app, self.allowed = app, loopback_hosts(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            refused = host_refusal(
                [value for name, value in scope["headers"] if name == b"host"], self.allowed
            )
            if refused is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                status, text = refused
                await PlainTextResponse(text, status, {"Cache-Control": "no-store"})(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


class _WakeOnPost:
    """ASGI middleware: after a POST to the API (a webhook, a checkout), wake the drain."""

    def __init__(self, app: ASGIApp, wake: threading.Event) -> None:
        self.app, self.wake = app, wake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope["method"] == "POST":
            self.wake.set()


class System:
    """The whole system on this machine: ``start``, then ``stop`` (or ``serve`` for both)."""

    def __init__(self, options: ServeOptions, say: Say = print) -> None:
        self.options, self.say = options, say
        self.env = options.env
        self.out = options.home / "serve"
        self.public, self.build_dir = self.out / "public", self.out / "build"
        self.mail_folder = Path(self.env.get("MAIL_FOLDER", "").strip() or options.home / "outbox")
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.portals: list[PortalLink] = []
        self.stripe: LocalStripe | None = None
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._watcher: Watcher | None = None
        # paths the watcher saw change since the last rebuild that succeeded, which the build
        # then looks at alone; the first rebuild looks at every file (edits made while the
        # watcher was starting were not seen)
        self._unbuilt: set[str] = set()
        self._watched_since_build = False
        self._last_drain_error = ""
        self._said: set[str] = set()  # problems printed already: each is printed once
        self._item_errors: dict[str, str] = {}  # outbox key -> the failure last printed
        self.problems: list[str] = []  # the last build's, for the agency page

    # -- start and stop -------------------------------------------------------------------------

    def start(self) -> System:
        env = self.env
        self.secret = portal_secret(dict(env))
        payments = payments_from_env(env)
        try:
            sockets = bind_ports(self.options.port, 1 if payments else 2)
        except OSError as exc:
            port = self.options.port
            raise ServeError(
                f"cannot listen on {HOST}:{port}"
                + ("" if payments else f" and {port + 1}")
                + f" ({exc.strerror or exc}): choose others with --port N, or --port 0"
            ) from None
        self.port = sockets[0].getsockname()[1]
        self.site_url = f"http://{HOST}:{self.port}"
        self.api_url = f"{self.site_url}/api"
        self.webhook_url = f"{self.api_url}/webhooks/stripe"
        if payments is None:
            stripe_url = f"http://{HOST}:{self.port + 1}"
            payments = Payments(
                True, DEFAULT_API_KEY, stripe_url, f"whsec_{secrets.token_hex(24)}", stripe_url
            )
        self.payments = payments
        self.urls = {
            "portal_url": self.site_url,
            "api_url": self.api_url,
            "checkout_url": payments.checkout_url,
        }
        self.store = SqliteStore(self.options.store)
        resumed = resume_outbox(self.store, time.time())
        try:
            report = self.build(initial=True)
            self.agency = load_agency(self.options.content)  # valid: the build just read it
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        self.timezone = self.agency.timezone
        self.services = Services(
            store=self.store,
            snapshots=FolderSnapshots(self.build_dir / "clients"),
            sessions=StripeSessions(payments.api_key, payments.api_base),
            portal_secret=self.secret,
            webhook_secret=payments.webhook_secret,
            timezone=self.timezone,
            today=(lambda day=self.options.today: day) if self.options.today else None,
            mailer=mailer_from_env({**env, "MAIL_FOLDER": str(self.mail_folder)}),
            site=FolderSite(self.public),
        )
        self.agency_key = page_key(self.secret)
        self.agency_url = f"{self.site_url}/agency/{self.agency_key}/"

        # the API first: the local Stripe delivers what it still owes as soon as it starts
        self._serve_http(self._app(), sockets[0])
        if payments.local:
            sockets[1].close()  # held until now so that no one else took it
            stripe = LocalStripe(
                webhook_url=self.webhook_url,
                webhook_secret=payments.webhook_secret,
                port=self.port + 1,
                async_payment_delay=BANK_DEBIT_SECONDS,
                state_file=self.out / "stripe-local.json",
            )
            try:
                self.stripe = stripe.start()
            except OSError as exc:
                raise ServeError(
                    f"the local Stripe cannot listen on {self.port + 1}: {exc}"
                ) from None
        self._thread(self._drain_loop, "portal-drain")
        if self.options.today is None:  # a pinned day never turns
            self._thread(self._midnight_loop, "portal-midnight")
        # the theme the build and the re-publish use: the default one (DESIGN: themes/default)
        self._watcher = Watcher([self.options.content, DEFAULT_THEME], self._rebuild)
        try:
            self._watcher.start()
        except (OSError, RuntimeError) as exc:  # e.g. the OS's limit of watched folders
            raise ServeError(
                f"cannot watch the content for edits ({exc}): "
                "WATCHFILES_FORCE_POLLING=1 looks at the files instead"
            ) from None
        self._announce(report, resumed)
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self._watcher is not None:
            self._watcher.stop()
        if self.stripe is not None:
            self.stripe.stop()  # no new events while the API goes
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(10)

    def _thread(self, target: Callable[[], Any], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve_http(self, app: ASGIApp, sock: socket.socket) -> None:
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread(lambda: server.run(sockets=[sock]), "portal-http")
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise ServeError("the local web server did not start")
            time.sleep(0.01)

    def _app(self) -> ASGIApp:
        """One port: the API under /api, the agency page under its key, the site for the rest."""
        api = _WakeOnPost(create_app(self.services), self.wake)
        headers = site_headers(self.api_url, self.payments.checkout_url)
        site = Starlette(
            routes=[
                Mount("/api", app=api),
                Mount(
                    f"/agency/{self.agency_key}",
                    app=agency_app(self.view, self.mail_folder, self.site_url),
                ),
                Mount("", app=static_site(self.public, headers)),
            ]
        )
        return LoopbackHost(site, self.port)

    # -- the build, the drain and the watcher ---------------------------------------------------

    def today(self) -> date:
        return self.options.today or datetime.now(ZoneInfo(self.timezone)).date()

    def build(
        self, *, initial: bool = False, day: date | None = None, changed: set[str] | None = None
    ) -> BuildReport:
        with self.lock:
            problems: list[str] = []
            recorded = by_client(self.store, problems)
            receipts = receipt_numbers(self.store)
            methods = methods_by_client(self.store)  # autopay's saved methods, on the pages
            report = run_build(
                self.options.content,
                self.out,
                day or self.options.today,
                secret=self.secret,
                recorded=recorded,
                receipts=receipts,
                methods=methods,
                urls=self.urls,
                # threads are running once serving: no worker processes forked under them
                workers=None if initial else 1,
                changed=changed,
            )
            problems += [str(aside) for aside in report.set_aside]
            # with the receipts of the offline payments new to the store
            assert report.day is not None
            if initial:  # the whole ledger: another command may have loaded its own since
                ledger = json.loads((self.build_dir / "ledger.json").read_text("utf-8"))
                load_ledger(self.store, ledger["invoices"], report.day, republish=False)
            else:
                load_ledger(self.store, report.ledger_changes, report.day, republish=False)
            if (numbered := receipt_numbers(self.store)) != receipts:
                # offline receipts numbered by that load: their pages are named by the numbers
                run_build(
                    self.options.content,
                    self.out,
                    report.day,
                    secret=self.secret,
                    recorded=recorded,
                    receipts=numbered,
                    methods=methods,
                    urls=self.urls,
                    workers=None if initial else 1,
                )
            self.portals = self._portal_links(report, problems)
            if not initial:  # the watcher's rebuild: agency.yaml may be what changed
                self.agency = load_agency(self.options.content)
                self.timezone = self.services.timezone = self.agency.timezone
            self.problems = problems
        for problem in problems:
            self._say_once(problem)
        return report

    def _say_once(self, problem: str) -> None:
        if problem not in self._said:
            self._said.add(problem)
            self.say(f"problem: {problem}")

    def _portal_links(self, report: BuildReport, problems: list[str]) -> list[PortalLink]:
        snapshots = FolderSnapshots(self.build_dir / "clients")
        links = []
        for client_id, page in report.portals.items():
            try:
                bundle = snapshots.load(client_id)
            except Exception as exc:  # its pages were written; the list goes on without it
                problems.append(f"client {client_id}: snapshot not readable: {one_line(exc)}")
                continue
            if bundle is None:
                continue
            client = bundle.client
            currency = client.currency or bundle.agency.currency
            links.append(
                PortalLink(
                    client_id, client.name, bundle.locale, currency, f"{self.site_url}/{page}"
                )
            )
        return links

    def view(self) -> AgencyView:
        return gather(
            agency=self.agency,
            today=self.today(),
            build_dir=self.build_dir,
            store=self.store,
            portals=self.portals,
            mail_folder=self.mail_folder,
            problems=self.problems,
        )

    def drain(self) -> DrainReport:
        with self.lock:
            return work.drain_outbox(self.services)

    def _drain_loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(DRAIN_EVERY)
            self.wake.clear()
            if self.stopping.is_set():
                return
            try:
                report = self.drain()
            except Exception as exc:  # the store itself failed: say so once, keep trying
                message = f"outbox: {type(exc).__name__}: {exc}"
                if message != self._last_drain_error:
                    self.say(message)
                    self._last_drain_error = message
                continue
            for key in report.done:
                self.say(f"outbox: done {key}")
                self._item_errors.pop(key, None)
            for key, error in report.retried.items():
                # once per item and error: an item retried with back-off for days says it once
                if self._item_errors.get(key) != error:
                    self._item_errors[key] = error
                    self.say(f"outbox: {key} failed, will retry: {error}")

    def _midnight_loop(self) -> None:
        while not self.stopping.wait(until_midnight(datetime.now(ZoneInfo(self.timezone)))):
            self.new_day(self.today())

    def new_day(self, day: date) -> BuildReport | None:
        """What the scheduled job does on AWS: the clients whose pages crossed a boundary."""
        try:
            report = self.build(day=day)
        except Exception as exc:  # keep serving what was built; the next edit or day tries again
            self.say(f"new day {day}: rebuild failed: {type(exc).__name__}: {exc}")
            return None
        self.say(f"New day {day}: clients re-published: {report.clients_rendered}.")
        return report

    def _rebuild(self, changed: set[str]) -> None:
        theme = str(DEFAULT_THEME)
        if any(path.startswith(theme) for path in changed):
            # templates and catalogs are cached per process: the re-publish must see the new ones
            work._theme.cache_clear()
            i18n.translations.cache_clear()
        before = {p.client_id for p in self.portals}
        self._unbuilt |= changed
        told = set(self._unbuilt) if self._watched_since_build and notified() else None
        try:
            report = self.build(changed=told)
        except ContentInvalid as exc:
            for error in exc.errors:
                self.say(str(error))
            self.say(f"{len(exc.errors)} problem(s) in the content: still serving the last build.")
            return
        except Exception as exc:  # keep serving what was built
            self.say(f"rebuild failed: {type(exc).__name__}: {exc}")
            return
        self._unbuilt.clear()
        self._watched_since_build = True
        self.say(
            f"Rebuilt after {len(changed)} change(s): {report.clients_rendered} client(s) "
            f"rendered in {report.seconds:.2f} s."
        )
        for link in self.portals:
            if link.client_id not in before:
                self.say(f"  {link.client_id}  {link.url}  {link.name} · {link.locale}")

    # -- what a person reads -------------------------------------------------------------------

    def _announce(self, report: BuildReport, resumed: int) -> None:
        say = self.say
        kind = "full" if report.full else "incremental"
        say(
            f"Built {report.invoices} invoices into {self.out}/ ({kind}: "
            f"{report.clients_rendered} clients rendered, {report.clients_skipped} unchanged)."
        )
        say("clientportal is running on this machine (127.0.0.1 only).")
        say("Client portals (each client's private address; no page lists them):")
        width = max((len(p.client_id) for p in self.portals), default=0)
        for link in self.portals:
            say(
                f"  {link.client_id:<{width}}  {link.url}  {link.name} · {link.locale} · "
                f"{link.currency}"
            )
        say("Agency page (local only, never published): receivables, every portal, the mailbox:")
        say(f"  {self.agency_url}")
        say(f"API: {self.api_url}  (Stripe webhooks: {self.webhook_url})")
        if self.payments.local:
            say(
                f"Payments: local Stripe-compatible checkout at {self.payments.checkout_url} "
                "(test cards; no money moves)."
            )
        else:
            say("Payments: Stripe test mode (STRIPE_SECRET_KEY). Forward its webhooks here with")
            say(f"  stripe listen --forward-to {self.webhook_url.removeprefix('http://')}")
        say(f"Mail: written to {self.mail_folder}/ and shown on the agency page.")
        if resumed:
            say(f"Resuming {resumed} unfinished outbox item(s) from the last run.")
        say(f"Watching {self.options.content} and the theme for edits. Press Ctrl-C to stop.")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _quiet_child() -> None:
    """In a forked worker (the first build's): leave stopping to the parent.

    A terminal's Ctrl-C reaches every process of the group, and the parent stops its
    pool with SIGTERM. With the parent's handlers a worker would print a
    KeyboardInterrupt traceback for either; ignoring SIGINT and dying of SIGTERM, it
    ends silently and the parent reports once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


_CHILDREN_QUIET = False


def serve(options: ServeOptions, say: Say = print) -> None:
    """Start everything, run until Ctrl-C or SIGTERM, stop everything; returns normally.

    Both ways of stopping are a normal end (exit status 0); a second Ctrl-C while
    stopping cuts the wait short.
    """
    global _CHILDREN_QUIET
    if not _CHILDREN_QUIET:  # once a process: at-fork hooks cannot be taken back
        os.register_at_fork(after_in_child=_quiet_child)
        _CHILDREN_QUIET = True
    system = System(options, say)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        system.start()
        while not system.stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        say("Stopping.")
    finally:
        try:
            system.stop()
        except KeyboardInterrupt:  # asked twice: the threads are daemons, the exit ends them
            say("Stopped without waiting.")
        signal.signal(signal.SIGTERM, previous)
