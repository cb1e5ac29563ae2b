"""The build: content -> validated accounts -> public/ and build/, incrementally and atomically.

Pipeline (one module a stage): ``content.scan`` finds the files, ``content.read``
parses them (in worker processes), ``generators`` takes each client through
``content.Validator`` (models), ``bundle.accounts`` (billing rules), ``views``
(page data) and ``render`` (templates), and ``writer`` swaps the result in.

Incremental: ``build/manifest.json`` records every input file (stat and hash)
and the client it belongs to, and every output file. A client is re-rendered
when one of its files, the agency settings, the theme or the code changed, or when
the build's day is outside the days its pages hold for (``ClientRecord.current_on``: a
discount ended, a fee fell due, a retainer's period began); the others are left as they are,
byte for byte, whatever the day.

Payments recorded by the functions (``recorded``) are the store's, not the
content's: one the content cannot place (its invoice deleted, moved to another
client or back to draft) or count (finer than its currency's minor unit) is set
aside and reported (``BuildReport.set_aside``), never a reason to stop the
build. Content errors still stop it, atomically.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from site_builder import changes, manifest
from site_builder import content as cnt
from site_builder.bundle import payment_record
from site_builder.errors import ContentError, ContentInvalid
from site_builder.generators import PARALLEL_FROM, ClientJob, ClientResult, run_clients
from site_builder.model import Agency, Client, Payment, SavedMethod
from site_builder.pdfs import PdfCache, pdf_path, render_pending
from site_builder.render import Theme
from site_builder.tokens import portal_secret, secret_fingerprint
from site_builder.writer import Staging, digest

ROBOTS = b"User-agent: *\nDisallow: /\n"
CODE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SetAside:
    """A recorded payment this build did not count, and why: for a person to look at."""

    client: str
    payment: str
    invoice: str
    why: str

    def __str__(self) -> str:
        return f"payment {self.payment} of client {self.client} not counted: {self.why}"


@dataclass
class BuildReport:
    pages_written: int = 0
    clients_rendered: int = 0
    clients_skipped: int = 0
    invoices: int = 0
    seconds: float = 0.0
    full: bool = True
    public: Path | None = None
    ledger: Path | None = None
    portals: dict[str, str] = field(default_factory=dict)  # client id -> "c/<token>/index.html"
    ledger_changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # re-rendered invoices
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each stage
    set_aside: list[SetAside] = field(default_factory=list)  # recorded payments not counted
    snapshots: dict[str, bytes] = field(default_factory=dict)  # in memory: those it re-made
    pdfs_rendered: int = 0  # documents whose page changed: their PDF made anew
    pdfs_reused: int = 0  # documents re-rendered as they were: their PDF from build/pdfs
    day: date | None = None  # the day it was built for (--today, or the agency's today)

    def lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now


def agency_today(agency: Agency) -> date:
    return datetime.now(ZoneInfo(agency.timezone)).date()


# --- orchestration -----------------------------------------------------------


def _read_all(root: Path, sources: list[cnt.Source], workers: int) -> list[cnt.Raw]:
    if workers < 2 or len(sources) < PARALLEL_FROM:
        return [cnt.read(root, s) for s in sources]
    size = max(64, len(sources) // (workers * 8))
    chunks = [sources[i : i + size] for i in range(0, len(sources), size)]
    # millions of new containers, none of them garbage: the cycle collector would walk the
    # growing heap again and again while they arrive (as in status, RESULTS.md)
    collecting = gc.isenabled()
    gc.disable()
    try:
        # the workers collect as usual: a parse leaves cycles behind (the loader's own)
        with multiprocessing.get_context("fork").Pool(workers, gc.enable) as pool:
            parts = pool.starmap(_read_chunk, [(root, c) for c in chunks])
        return [
            cnt.Raw(source, *fields)
            for chunk, part in zip(chunks, parts, strict=True)
            for source, fields in zip(chunk, part, strict=True)
        ]
    finally:
        if collecting:
            gc.enable()


def _read_chunk(root: Path, sources: list[cnt.Source]) -> list[tuple[Any, ...]]:
    # plain tuples back to the parent: unpickling a dataclass costs 6x more
    return [(r.data, r.body, r.error, r.sha) for r in (cnt.read(root, s) for s in sources)]


def _settings_key(root: Path, theme: Theme, secret: str, urls: Mapping[str, str]) -> str:
    # the day is not in it: a page holds for a period, and each client records its own
    h = hashlib.sha256(f"{manifest.VERSION}|{secret_fingerprint(secret)}".encode())
    h.update(repr(sorted(urls.items())).encode())
    for path in [root / "agency.yaml", *theme.files(), *sorted(CODE_DIR.rglob("*.py"))]:
        h.update(str(path).encode())
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _file_hash(root: Path, rel: str) -> str:
    try:
        return digest((root / rel).read_bytes())
    except OSError:
        return ""


class _Owners:
    """Which client each file belongs to, from the files' own data."""

    def __init__(
        self,
        previous: dict[str, manifest.FileRecord],
        retainers: Iterable[str],
        invoice_client: dict[str, str] | None = None,  # the same, from the manifest's columns
    ) -> None:
        self.invoice_client: dict[str, str] = invoice_client or {}
        for rel, (_, _, _, owner) in () if invoice_client is not None else previous.items():
            if rel.startswith("invoices/") and owner:
                self.invoice_client[rel.rpartition("/")[2].rpartition(".")[0]] = owner
        self.retainers = set(retainers)
        self.drafts: set[str] = set()  # of the files read: not issued, so nothing to pay yet

    def learn(self, raw: cnt.Raw) -> None:
        if raw.source.kind == "invoice" and raw.data and isinstance(raw.data.get("client"), str):
            self.invoice_client[raw.source.key] = raw.data["client"]
            if raw.data.get("retainer") is not None:
                self.retainers.add(raw.source.key)
            if raw.data.get("status") == "draft":
                self.drafts.add(raw.source.key)
            else:
                self.drafts.discard(raw.source.key)

    def invoice_owner(self, number: str, present: Container[str] | None = None) -> str | None:
        """The client of an invoice number: its file's, or its retainer template's.

        ``present``: the invoice files there are now (an owner learnt from the last
        build's manifest may belong to a file deleted since).
        """
        if number in self.invoice_client and (present is None or number in present):
            return self.invoice_client[number]
        for template in self.retainers:  # "RET-7-2026-03" belongs to template "RET-7"
            if number.startswith(template + "-") and (present is None or template in present):
                return self.invoice_client.get(template)
        return None

    def of(self, raw: cnt.Raw) -> str | None:
        kind, data = raw.source.kind, raw.data or {}
        if kind == "client":
            return raw.source.key
        if kind == "note":
            return raw.source.key.split("/", 1)[0]
        if kind == "invoice":
            return data.get("client") if isinstance(data.get("client"), str) else None
        if kind == "payment" and isinstance(data.get("invoice"), str):
            return self.invoice_owner(data["invoice"])
        return None


def _countable(
    recorded: Mapping[str, Sequence[Payment]], owners: _Owners, present: Container[str]
) -> tuple[dict[str, list[Payment]], list[SetAside]]:
    """The recorded payments the build can count, by client, and the ones it sets aside."""
    kept: dict[str, list[Payment]] = {}
    aside = []
    for client_id, payments in recorded.items():
        for payment in payments:
            number = payment.invoice
            owner = owners.invoice_owner(number, present)
            why = ""
            if owner is None or number in owners.drafts:
                why = f"invoice {number} is not issued in the content"
            elif owner != client_id:
                why = f"invoice {number} belongs to client {owner}"
            else:
                try:
                    payment_record(payment)  # its amounts in minor units, as billing counts them
                except (ArithmeticError, ValueError) as exc:  # MoneyError: finer than a cent
                    why = f"its amount cannot be counted: {exc}"
            if why:
                aside.append(SetAside(client_id, payment.id, number, why))
            else:
                kept.setdefault(client_id, []).append(payment)
    return kept, aside


def _thawed_on_return(fn: Callable[..., BuildReport]) -> Callable[..., BuildReport]:
    """Once a build froze what it read (``gc.freeze``), the collector gets it back when the
    build returns, however it returns."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> BuildReport:
        thaw = gc.get_freeze_count() == 0
        try:
            return fn(*args, **kwargs)
        finally:
            if thaw:
                gc.unfreeze()

    return wrapper


@_thawed_on_return
def build(
    content: Path,
    out: Path,
    today: date | None = None,
    *,
    theme: Theme | None = None,
    secret: str | None = None,
    check_only: bool = False,
    in_memory: bool = False,
    force: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    recorded: Mapping[str, Sequence[Payment]] | None = None,
    urls: Mapping[str, str] | None = None,
    receipts: Mapping[str, Mapping[str, str]] | None = None,
    pdfs: bool = True,
    methods: Mapping[str, SavedMethod] | None = None,
    changed: Iterable[str] | None = None,
) -> BuildReport:
    """Build the site (or with ``check_only``, just validate). Raises ContentInvalid.

    ``in_memory``: an incremental build that writes nothing: the report holds what it would
    change (``clients_rendered``, ``ledger_changes``, ``snapshots``), e.g. for a dry run.

    ``recorded`` holds the payments the functions recorded since, by client: they
    count as the content's own, and a client whose recorded payments changed is
    re-rendered. ``receipts`` holds the numbers the store gave offline payments, by client
    (payment id -> ``R-2026-0007``): each receipt page is named by its number, and a client
    whose numbers changed is re-rendered. ``methods`` holds each client's saved method while
    it is on autopay (the store's): its pages show it, and a client whose method changed (or
    who turned autopay off) is re-rendered. ``urls`` replaces agency.yaml's addresses
    (``portal_url``, ``api_url``, ``checkout_url``) for this output, e.g. ``portal serve``'s local
    ones; they are part of the settings, so a change re-renders every client.

    ``pdfs``: a PDF beside each invoice and receipt page, linked from it (``site_builder.pdfs``:
    made only when the page changed, else taken from ``build/pdfs``); False: neither.

    ``changed``: the content paths known to be all that changed since the last build that
    succeeded (``portal serve``'s watcher); only those are looked at. None: every file is.
    """
    started = time.perf_counter()
    theme = theme or Theme()
    secret = secret if secret is not None else portal_secret()
    workers = workers or min(os.cpu_count() or 1, 8)
    report = BuildReport()

    urls = dict(urls or {})
    build_dir = out / "build"
    settings = _settings_key(content, theme, secret, urls)
    previous = manifest.load(build_dir) if not (check_only or force) else None
    if previous is not None and previous.settings != settings:
        previous = None
    # The files and their stats: the last build's files with their stats taken anew when the
    # same names are there (site_builder.changes), else a full scan.
    seen = None if previous is None else changes.changed(content, previous.columns, changed)
    agency_stat = _stat(content / "agency.yaml") if seen is not None else None
    stats = None
    if seen is not None and agency_stat is not None:
        listing, stats = seen
        agency_source = cnt.Source("agency.yaml", "agency", "agency", *agency_stat)
        sources, errors = [], []
    else:
        listing = changes.listing(content)  # before the scan: what it misses is seen next
        sources, errors = cnt.scan(content)
        agency_source = next((s for s in sources if s.kind == "agency"), None)
    validator = cnt.Validator(content)
    agency = validator.agency(cnt.read(content, agency_source)) if agency_source else None
    if agency is None:
        raise ContentInvalid(errors + validator.errors)
    if urls:
        agency = with_urls(agency, urls)
    today = report.day = today or agency_today(agency)
    if stats is not None:
        assert previous is not None and previous.columns is not None
        if not (recorded or receipts or methods) and stats == (
            previous.columns.mtimes,
            previous.columns.sizes,
        ):
            day = today.isoformat()
            if all(not c.recorded and c.current_on(day) for c in previous.clients.values()):
                return _unchanged(report, previous, out, started)  # the common case, at once
    # The same names as the last build: its columns serve, and ``current`` and ``prev_files``
    # hold only the files this build looks at (``Files.take``), not 167,000 of each.
    cols = previous.columns if stats is not None else None  # type: ignore[union-attr]
    full = previous is None
    prev_files = {} if previous is None or cols is not None else previous.files
    owners = _Owners(
        prev_files,
        [] if previous is None else previous.retainers,
        None if stats is None else manifest.invoice_owners(previous),  # type: ignore[arg-type]
    )

    # Which files must be read: all of them, or only the changed ones and then
    # every file of each client those changes touch.
    current = {s.rel: s for s in sources if s.kind != "agency"}
    if cols is not None:  # the last build's files: only those whose stat moved need a look
        cols.take(manifest.moved(cols, stats), stats, cnt.Source._make, current, prev_files)  # type: ignore[arg-type]
    hashes: dict[str, str] = {}
    if full:
        to_read = list(current.values())
    else:
        to_read = []
        for rel, s in current.items():
            old = prev_files.get(rel)
            if old and old[0] == s.mtime_ns and old[1] == s.size:
                continue
            hashes[rel] = _file_hash(content, rel)
            if old and old[2] == hashes[rel]:
                continue
            to_read.append(s)
    # the last build's files are the same names: none added
    added = full or (stats is None and any(rel not in prev_files for rel in current))
    if added:  # only a new file can clash with another
        errors += _duplicate_numbers(sources)
    recorded = recorded or {}
    receipts = receipts or {}
    methods = methods or {}
    recorded_keys = {
        cid: _recorded_key(recorded.get(cid, ()), receipts.get(cid, {}), methods.get(cid))
        for cid in set(recorded) | set(receipts) | set(methods)
    }
    moved = {
        cid
        for cid, c in ({} if previous is None else previous.clients).items()
        if c.recorded != recorded_keys.get(cid, "") or not c.current_on(today.isoformat())
    } | (set(recorded_keys) - set({} if previous is None else previous.clients))
    lap = report.lap("scan", started)
    invoice_files = (
        cols.keys_of("invoice")
        if cols is not None
        else {s.key for s in sources if s.kind == "invoice"}
    )
    if previous is not None and not (added or to_read or moved or len(current) != len(prev_files)):
        report.set_aside = _countable(recorded, owners, invoice_files)[1]  # still not counted
        return _unchanged(report, previous, out, started)
    raws = {r.source.rel: r for r in _read_all(content, to_read, workers)}
    # alive until the build returns: the collector would walk millions of its objects each
    # time the heap grew by a quarter (~2 s of a full build at 10,000 clients)
    gc.freeze()
    for raw in raws.values():
        owners.learn(raw)

    dirty: set[str] = set(moved)
    if not full:
        for rel in raws:
            if (owner := owners.of(raws[rel])) is not None:
                dirty.add(owner)
            if rel in prev_files and prev_files[rel][3]:
                dirty.add(prev_files[rel][3])
        for rel, old in prev_files.items():
            if rel not in current and old[3]:
                dirty.add(old[3])  # a deleted file
        if cols is not None:  # the files the last build gave to the clients now dirty
            cols.take(cols.owned_by(dirty), stats, cnt.Source._make, current, prev_files)  # type: ignore[arg-type]
        more = [s for rel, s in current.items() if rel not in raws and prev_files[rel][3] in dirty]
        for raw in _read_all(content, more, workers):
            raws[raw.source.rel] = raw
            owners.learn(raw)
        raws = dict(sorted(raws.items()))  # in a full build's order: the snapshots keep it

    # Clients first: everything else refers to them.
    client_ids = (
        cols.keys_of("client")
        if cols is not None
        else {s.key for s in sources if s.kind == "client"}
    )
    clients: dict[str, Client] = {}
    for raw in raws.values():
        if raw.source.kind == "client" and (c := validator.client(raw)) is not None:
            clients[c.id] = c
    files: dict[str, list[cnt.Raw]] = {}
    for raw in raws.values():
        if raw.source.kind == "client":
            continue
        if raw.error is not None:
            errors.append(raw.error)
            continue
        owner = owners.of(raw)
        if (
            raw.source.kind == "payment"
            and owner is None
            and isinstance((raw.data or {}).get("invoice"), str)
        ):
            validator.error(raw, ("invoice",), f"unknown invoice {raw.data['invoice']!r}")  # type: ignore[index]
        elif owner is None or owner not in client_ids:
            # validate it anyway, so every problem of the file is listed at once
            if raw.source.kind == "invoice":
                validator.invoice(raw, clients, agency)
            elif raw.source.kind == "note":
                validator.note(raw, clients)
            else:
                validator.payment(raw, {})
        else:
            files.setdefault(owner, []).append(raw)
    to_render = sorted(clients) if full else sorted(c for c in dirty if c in clients)
    # every file of each client to render was read: its invoices' owners and drafts are known
    recorded, report.set_aside = _countable(recorded, owners, invoice_files)
    lap = report.lap("read", lap)

    staging = None if check_only or in_memory else Staging(out)
    if staging is not None:  # for the next process that renders: loaded, not compiled again
        theme.keep_compiled(build_dir / "templates")
    try:
        job = ClientJob(
            content,
            agency,
            clients,
            files,
            today,
            secret,
            theme,
            staging,
            recorded,
            receipts,
            in_memory,
            methods=methods,
            pdfs=PdfCache.for_build(build_dir) if pdfs and staging is not None else None,
        )
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(to_render))

        results = run_clients(job, to_render, workers, tick)
        lap = report.lap("render", lap)
        for result in results:
            errors += result.errors
        errors += validator.errors
        if errors:
            raise ContentInvalid(errors)
        if staging is None:
            report.invoices = sum(len(r.ledger) for r in results)
            report.clients_rendered = len(results)
            for r in results:
                report.ledger_changes.update(r.ledger)
                if r.snapshot:
                    report.snapshots[r.client_id] = r.snapshot
            return report

        assert staging is not None
        staging.write(theme.css.path, theme.css.data)
        staging.write("robots.txt", ROBOTS)
        prev_clients = {} if previous is None else previous.clients
        if job.pdfs is not None:
            _make_pdfs(job.pdfs, results, staging, theme, workers, report)
            job.pdfs.drop(set(prev_clients) - client_ids)
            if full and not job.pdfs.shared:
                job.pdfs.sweep(client_ids)
            lap = report.lap("pdf", lap)
        gone = (set(prev_clients) - client_ids) | {r.client_id for r in results}
        records = {cid: c for cid, c in prev_clients.items() if cid not in gone}
        retired_tokens = {c.token for cid, c in prev_clients.items() if cid in gone}
        for r in results:
            records[r.client_id] = manifest.ClientRecord(
                r.token,
                r.outputs,
                len(r.ledger),
                manifest.ledger_line(r.ledger),
                recorded_keys.get(r.client_id, ""),
                today.isoformat(),
                r.changes_on.isoformat() if r.changes_on else None,
            )
            report.ledger_changes.update(r.ledger)
            retired_tokens.discard(r.token)
            report.pages_written += len(r.outputs)

        if full:
            staging.commit_full()
        else:
            staging.remove_snapshots(set(prev_clients) - client_ids)
            staging.commit_clients({r.client_id: r.token for r in results}, retired_tokens)

        lap = report.lap("commit", lap)
        # the previous records, with what this build read or re-hashed brought up to date
        files = prev_files
        for rel in set(files) - set(current):
            del files[rel]
        for rel, raw in raws.items():
            s = raw.source
            files[rel] = [s.mtime_ns, s.size, raw.sha, owners.of(raw)]
        for rel, sha in hashes.items():
            if rel not in raws:  # touched, not changed
                s = current[rel]
                files[rel] = [s.mtime_ns, s.size, sha, files[rel][3]]
        retainers = {n for r in results for n in r.retainers}
        if previous is not None:
            retainers |= set(previous.retainers)
        manifest.save(
            build_dir,
            manifest.Manifest(
                settings,
                today.isoformat(),
                files,
                records,
                sorted(retainers),
                sources=sources,
                listing=listing,
                lazy=None if previous is None else previous.lazy,
                columns=cols,
                stats=stats,
            ),
            generated=datetime.now(ZoneInfo(agency.timezone)).isoformat(timespec="seconds"),
        )
    except BaseException:
        if staging is not None:
            staging.discard()
        raise

    report.full = full
    report.clients_rendered = len(results)
    report.clients_skipped = len(client_ids) - len(results)
    report.invoices = sum(c.invoices for c in records.values())
    report.public, report.ledger = out / "public", build_dir / "ledger.json"
    report.portals = {cid: f"c/{c.token}/index.html" for cid, c in sorted(records.items())}
    report.lap("manifest", lap)
    report.seconds = time.perf_counter() - started
    return report


def _make_pdfs(
    cache: PdfCache,
    results: list[ClientResult],
    staging: Staging,
    theme: Theme,
    workers: int,
    report: BuildReport,
) -> None:
    """Render the PDFs the cache did not hold, beside their staged pages; keep the rest."""
    pending = [p for r in results for p in r.pending]
    digests = render_pending(
        pending,
        public=staging.public,
        cache=cache,
        css=theme.css,
        theme=theme.folder,
        workers=workers,
    )
    owner = {r.client_id: r for r in results}
    for job, sha in zip(pending, digests, strict=True):
        r = owner[job.client_id]
        r.outputs[pdf_path(job.page)[len(f"c/{r.token}/") :]] = sha
    for r in results:
        if not cache.shared:  # a shared cache (tests, benches) serves several contents
            cache.keep(r.client_id, r.pdf_keys)
    report.pdfs_rendered = len(pending)
    report.pdfs_reused = sum(len(r.pdf_keys) for r in results) - len(pending)


URL_SETTINGS = frozenset({"portal_url", "api_url", "checkout_url"})


def with_urls(agency: Agency, urls: Mapping[str, str]) -> Agency:
    """The agency with some of its addresses replaced (validated as agency.yaml's are)."""
    unknown = set(urls) - URL_SETTINGS
    if unknown:
        raise ValueError(f"urls: unknown setting(s) {sorted(unknown)}")
    return Agency.model_validate({**agency.model_dump(), **urls})


def _unchanged(
    report: BuildReport, previous: manifest.Manifest, out: Path, started: float
) -> BuildReport:
    """Nothing moved since the last build: say so without touching a file."""
    report.full = False
    report.clients_skipped = len(previous.clients)
    report.invoices = sum(c.invoices for c in previous.clients.values())
    report.public, report.ledger = out / "public", out / "build" / "ledger.json"
    report.portals = {cid: f"c/{c.token}/index.html" for cid, c in sorted(previous.clients.items())}
    report.seconds = time.perf_counter() - started
    return report


def _recorded_key(
    payments: Sequence[Payment], receipts: Mapping[str, str], method: SavedMethod | None = None
) -> str:
    if not payments and not receipts and method is None:
        return ""
    lines = [p.model_dump_json().encode() for p in sorted(payments, key=_by_id)]
    lines += [f"{pid} {number}".encode() for pid, number in sorted(receipts.items())]
    if method is not None:  # autopay on, with this method: the pages say so
        lines.append(b"autopay " + method.model_dump_json().encode())
    return digest(b"\n".join(lines))


def _by_id(payment: Payment) -> str:
    return payment.id


def _duplicate_numbers(sources: list[cnt.Source]) -> list[ContentError]:
    seen: dict[tuple[str, str], cnt.Source] = {}
    errors = []
    for s in sources:
        if s.kind not in ("invoice", "client", "payment"):
            continue
        key = (s.kind, s.key.casefold())
        if key in seen:
            errors.append(
                ContentError(
                    s.rel,
                    None,
                    "",
                    f"duplicate {s.kind} {s.key!r}: {seen[key].rel} has the same name",
                )
            )
        else:
            seen[key] = s
    return errors
