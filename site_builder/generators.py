"""Generators: one client's files -> validated bundle -> billed accounts -> pages.

Each client is independent of the others, so clients are spread over worker
processes. The job is set before the workers fork, so they inherit the parsed
content instead of receiving it pickled; each returns only its result.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from site_builder import content as cnt
from site_builder.billing import BillingError, expand_retainer
from site_builder.billing.autopay import autopay_policy, promised_until
from site_builder.billing.reminders import resolve_reminders
from site_builder.billing.retainers import next_period
from site_builder.bundle import (
    Account,
    AccountErrors,
    ClientBundle,
    accounts,
    issue_day,
    with_payments,
    with_receipts,
)
from site_builder.credits import credit_problems
from site_builder.errors import ContentError
from site_builder.ledger import ledger_entry, pages_change
from site_builder.model import Agency, Client, Payment, SavedMethod
from site_builder.money import STRIPE_CURRENCIES, stripe_problem
from site_builder.pdfs import PdfCache, Pending, client_paper, document_key, page_url, pdf_path
from site_builder.render import Theme
from site_builder.tokens import client_token
from site_builder.views import client_pages
from site_builder.writer import Staging

PARALLEL_FROM = 400  # files; below this, worker start-up costs more than it saves


@dataclass
class ClientResult:
    client_id: str
    errors: list[ContentError] = field(default_factory=list)
    token: str = ""
    ledger: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # path under c/<token>/ -> hash
    retainers: list[str] = field(default_factory=list)
    changes_on: date | None = None  # the first day its pages may differ from today's
    snapshot: bytes = b""  # kept only by an in-memory build (ClientJob.keep_snapshots)
    pdf_keys: list[str] = field(default_factory=list)  # the cache keys of its documents' PDFs
    pending: list[Pending] = field(default_factory=list)  # PDFs the cache did not hold


@dataclass
class ClientJob:
    root: Path
    agency: Agency
    clients: dict[str, Client]
    files: dict[str, list[cnt.Raw]]  # client id -> its invoices, payments and notes
    today: date
    secret: str
    theme: Theme
    staging: Staging | None  # None: validate only
    recorded: Mapping[str, Sequence[Payment]] = field(default_factory=dict)  # by the functions
    # the store's numbers for offline receipts: client id -> payment id -> "R-2026-0007"
    receipts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    keep_snapshots: bool = False  # without staging: the snapshots in the results instead
    # the store's saved methods of the clients on autopay (client id -> method): on the pages,
    # never in the snapshot (the functions read the store's, which may change after a build)
    methods: Mapping[str, SavedMethod] = field(default_factory=dict)
    pdfs: PdfCache | None = None  # None: no PDFs beside the documents, and no links to them


_JOB: ClientJob | None = None  # set before the worker processes fork, so they inherit it


def _process_chunk(client_ids: list[str]) -> list[ClientResult]:
    assert _JOB is not None
    if _JOB.staging is None:
        return [process_client(_JOB, cid) for cid in client_ids]
    with _JOB.staging.in_background():  # the chunk's files are all written when it returns
        return [process_client(_JOB, cid) for cid in client_ids]


def _billing_loc(error: BillingError) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in error.field.split(".") if p)


def process_client(job: ClientJob, client_id: str) -> ClientResult:
    result = ClientResult(client_id)
    validator = cnt.Validator(job.root)
    client = job.clients[client_id]
    raws = job.files.get(client_id, [])
    invoices, sources, broken = {}, {}, set()
    retainer_days: list[date | None] = []
    for raw in raws:
        if raw.source.kind != "invoice":
            continue
        invoice = validator.invoice(raw, job.clients, job.agency)
        if invoice is None:
            broken.add(raw.source.key)
            continue
        if invoice.retainer is not None:
            result.retainers.append(invoice.number)
            retainer_days.append(next_period(invoice, job.today))
        for one in expand_retainer(invoice, job.today):
            if one.number in invoices:
                validator.error(
                    raw, ("retainer",), f"makes invoice {one.number}, which exists already"
                )
                continue
            invoices[one.number] = one
            sources[one.number] = raw
    # a payment against an invoice that failed validation is checked once the invoice is fixed
    payments = [
        p
        for raw in raws
        if raw.source.kind == "payment"
        and (raw.data or {}).get("invoice") not in broken
        and (p := validator.payment(raw, invoices)) is not None
    ]
    notes = [
        n
        for raw in raws
        if raw.source.kind == "note" and (n := validator.note(raw, job.clients)) is not None
    ]
    bundle = ClientBundle(
        agency=job.agency,
        client=client,
        invoices=[i for i in invoices.values() if i.status != "draft"],
        payments=payments,
        notes=notes,
    )
    counted = with_payments(bundle, job.recorded.get(client_id, ()))
    counted = with_receipts(counted, job.receipts.get(client_id, {}))  # not in the snapshot
    if (method := job.methods.get(client_id)) is not None:
        counted = counted.model_copy(update={"autopay": method})
    payment_files = {raw.source.key: raw for raw in raws if raw.source.kind == "payment"}
    for problem in credit_problems(counted, invoices):
        if (raw := payment_files.get(problem.payment)) is not None:  # only content applies credit
            validator.error(raw, (problem.field,), problem.message)
    try:
        figures = accounts(counted, job.today)
    except AccountErrors as exc:
        for number, problem in exc.problems:
            validator.error(sources[number], _billing_loc(problem), problem.message)
        figures = []
    for account in figures:
        for loc, problem in chargeable(account):
            validator.error(sources[account.invoice.number], loc, problem)
    result.errors = validator.errors
    if result.errors:
        return result
    # a future-dated invoice is published (and emailed) on its issue day
    # a charge line ("will be charged … on <day>") is gone the day after its day
    promised = None
    if counted.autopay is not None:
        promised = promised_until(figures, autopay_policy(job.agency, client))
    result.changes_on = pages_change(
        figures, *retainer_days, issue_day(bundle, job.today), promised
    )
    result.token = client_token(job.secret, client_id, client.token_version)
    cadence = resolve_reminders(job.agency.reminders, client.reminders)
    result.ledger = {
        a.invoice.number: ledger_entry(client_id, a, cadence, result.changes_on) for a in figures
    }
    if job.staging is None:
        if job.keep_snapshots:
            result.snapshot = _snapshot(bundle)
        return result
    prefix = len(f"c/{result.token}/")
    paper = client_paper(client.address, bundle.locale)
    for page in render_pages(counted, figures, result.token, job.theme, pdfs=job.pdfs is not None):
        result.outputs[page.path[prefix:]] = job.staging.write(page.path, page.data)
        if page.pdf_dated is None or job.pdfs is None:
            continue
        # the PDF from the cache when the page is as it was; else rendered after every client
        url = page_url(job.agency.portal_url, page.path)
        key = document_key(page.data, url, paper, page.pdf_dated, job.theme.folder)
        result.pdf_keys.append(key)
        if (pdf := job.pdfs.get(client_id, key)) is not None:
            beside = pdf_path(page.path)
            result.outputs[beside[prefix:]] = job.staging.write(beside, pdf)
        else:
            result.pending.append(Pending(client_id, page.path, url, paper, page.pdf_dated, key))
    job.staging.write_private(f"clients/{client_id}.json", _snapshot(bundle))
    return result


def _snapshot(bundle: ClientBundle) -> bytes:
    # the content only: the functions add the store's payments themselves. Only the fields
    # the files wrote: the terms' inheritance (model_fields_set) must survive the round trip,
    # or a client's partial terms would drop the agency's early discount.
    return bundle.model_dump_json(exclude_unset=True).encode()


def chargeable(account: Account) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """What of an open invoice Stripe could not charge exactly, where the content says it.

    Named by ``portal check`` rather than found by a client pressing Pay: Stripe's units
    (``money.stripe_problem``) are not always the currency's, and it has minimum charges.
    """
    st = account.statement
    if st.status not in ("open", "partially_paid", "overdue"):
        return
    if st.currency.upper() not in STRIPE_CURRENCIES:
        offline = "invoice in a currency it does, or have it paid offline (payments/)"
        yield ("currency",), f"Stripe does not charge in {st.currency}: {offline}"
        return
    instalments = 0
    for entry in st.entries:
        loc: tuple[str | int, ...] = ("items",)
        if entry.kind == "deposit":
            loc = ("deposit",)
        elif entry.kind == "instalment":
            loc, instalments = ("instalments", instalments), instalments + 1
        if entry.amount > 0 and (problem := stripe_problem(entry.amount, st.currency)):
            yield loc, f"{problem}: change the amount, or have it paid offline (payments/)"


@dataclass(frozen=True)
class Rendered:
    path: str  # under the site root
    data: bytes
    pdf_dated: date | None  # a document: its PDF goes beside it (``site_builder.pdfs``)


def render_pages(
    bundle: ClientBundle,
    figures: list[Account],
    token: str,
    theme: Theme,
    pdfs: bool | Callable[[str], bool] = True,
) -> list[Rendered]:
    """Every file of one client's portal, rendered; the documents among them marked.

    The build and the functions' re-publish both call this: same pages, same bytes. The
    figures' day decides nothing else: a page is the same on every day of its periods.
    ``pdfs``: whether the documents link to their PDFs (True: all of them; or by PDF path).
    """
    locale = bundle.locale
    t = theme.translations(locale)
    links = None if pdfs is True else (lambda _: False) if pdfs is False else pdfs
    return [
        Rendered(page.path, theme.render(page, locale).encode(), page.pdf_dated)
        for page in client_pages(bundle, figures, token, theme.css.path, t, links)
    ]


def render_portal(
    bundle: ClientBundle, figures: list[Account], token: str, theme: Theme
) -> Iterator[tuple[str, bytes]]:
    """Every page of one client's portal, as (path under the site root, bytes)."""
    for page in render_pages(bundle, figures, token, theme):
        yield page.path, page.data


def run_clients(
    job: ClientJob, client_ids: list[str], workers: int, tick: Callable[[int], None]
) -> list[ClientResult]:
    global _JOB
    _JOB = job
    # The parsed content lives as long as the build: frozen, the cycle collector stops
    # walking it again and again (its cost grew with the agency), and forked workers stop
    # copying its memory pages by touching them. A caller that froze it first thaws it.
    thaw = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        files = sum(len(job.files.get(c, ())) for c in client_ids)
        if workers < 2 or files + len(client_ids) < PARALLEL_FROM:
            results = []
            for cid in client_ids:
                results.append(process_client(job, cid))
                tick(1)
            return results
        size = max(8, len(client_ids) // (workers * 16))
        chunks = [client_ids[i : i + size] for i in range(0, len(client_ids), size)]
        results = []
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(_process_chunk, chunks):
                results.extend(part)
                tick(len(part))
        return results
    finally:
        _JOB = None
        if thaw:
            gc.unfreeze()
