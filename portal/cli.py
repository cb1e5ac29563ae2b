"""The ``portal`` command."""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

from functions.deliveries import load_ledger
from functions.recorded import by_client, methods_by_client, receipt_numbers
from functions.store.sqlite import SqliteStore
from portal import scaffold
from portal.plural import plural
from portal.status_output import autopay_tables, tables
from site_builder.build import build as run_build
from site_builder.errors import ContentInvalid
from site_builder.importer import FileRefused, MappingInvalid, import_csv
from site_builder.receivables import NoBuild, UnknownClient, build_status
from site_builder.receivables.output import client_csv, dumps
from site_builder.receivables.report import write_report
from site_builder.tokens import DevelopmentSecretWarning, SecretError

app = typer.Typer(
    help="Static client portals with serverless payment hooks.",
    no_args_is_help=True,
    add_completion=False,
)
out_console = Console()
DEFAULT_STORE = Path(".portal/store.sqlite3")
MAX_LISTED = 20  # client portals listed after a build; the manifest has them all
err_console = Console(stderr=True)

ContentOpt = Annotated[Path, typer.Option("--content", help="The content folder.", file_okay=False)]
StoreOpt = Annotated[
    Path,
    typer.Option(
        "--store",
        envvar="PORTAL_STORE",
        help="The local payment store (SQLite) whose payments the portals show.",
        dir_okay=False,
    ),
]
BuildStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="PORTAL_STORE",
        help="A local payment store (SQLite) whose payments the portals show, and which "
        "receives the ledger; none unless given (portal serve's is .portal/store.sqlite3).",
        dir_okay=False,
    ),
]
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="The day to build for (YYYY-MM-DD); default: today.")
]


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(
            f"[red]--today: expected a date as YYYY-MM-DD, got {escape(repr(value))}[/red]",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


def _check_format(output: str) -> None:
    if output not in ("table", "json", "csv"):
        err_console.print(
            f"[red]--format: expected table, json or csv, got {escape(repr(output))}[/red]",
            soft_wrap=True,
        )
        raise typer.Exit(2)


def _report_problems(exc: ContentInvalid) -> None:
    for error in exc.errors:
        err_console.print(str(error), markup=False, highlight=False, soft_wrap=True)
    found = plural(len(exc.errors), "problem")
    err_console.print(f"[red]{found} found; nothing was written.[/red]", soft_wrap=True)


def _show_warnings() -> None:
    def show(message, category, *args, **kwargs):  # type: ignore[no-untyped-def]
        if issubclass(category, DevelopmentSecretWarning):
            err_console.print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True)
        else:
            err_console.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)

    warnings.showwarning = show


@app.command()
def check(content: ContentOpt = Path("content"), today: TodayOpt = None) -> None:
    """Validate the content and list every problem (exit 2 if there are any)."""
    _show_warnings()
    try:
        report = run_build(content, Path("."), _today(today), check_only=True)
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except SecretError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    out_console.print(
        f"[green]OK[/green]: {escape(str(content))} is valid "
        f"({plural(report.invoices, 'invoice')}).",
        soft_wrap=True,
    )


@app.command()
def build(
    content: ContentOpt = Path("content"),
    out: Annotated[
        Path, typer.Option("--out", help="Where public/ and build/ are written.", file_okay=False)
    ] = Path("."),
    today: TodayOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Re-render every client.")] = False,
    store_path: BuildStoreOpt = None,
) -> None:
    """Build every client's portal into public/ and the private build/ folder.

    With --store, payments recorded by the payment functions (a local store) count as the
    content's own and the store receives the new ledger; without, a scratch build touches
    no store.
    """
    _show_warnings()
    show_bar = sys.stderr.isatty() and not os.environ.get("CI")
    store = SqliteStore(store_path) if store_path is not None else None
    problems: list[str] = []
    recorded = by_client(store, problems) if store is not None else {}
    receipts = receipt_numbers(store) if store is not None else {}
    methods = methods_by_client(store) if store is not None else {}  # autopay, on the pages
    try:
        if show_bar:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task("Rendering clients", total=None)
                report = run_build(
                    content,
                    out,
                    _today(today),
                    force=force,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                    recorded=recorded,
                    receipts=receipts,
                    methods=methods,
                )
        else:
            report = run_build(
                content,
                out,
                _today(today),
                force=force,
                recorded=recorded,
                receipts=receipts,
                methods=methods,
            )
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except SecretError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    if store is not None:  # with the receipts of offline payments new to the store
        assert report.day is not None
        load_ledger(store, report.ledger_changes, report.day, republish=False)
        if (numbered := receipt_numbers(store)) != receipts:
            # offline receipts numbered by that load: their pages are named by the numbers
            run_build(
                content, out, report.day, recorded=recorded, receipts=numbered, methods=methods
            )
    report_page = write_report(out, content, store)
    for problem in [*problems, *map(str, report.set_aside)]:  # the store's, not the content's
        err_console.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    kind = "full" if report.full else "incremental"
    # soft_wrap: the terminal wraps a long line; rich would break it mid-sentence
    out_console.print(
        f"Built {plural(report.invoices, 'invoice')} ({kind}): "
        f"{plural(report.clients_rendered, 'client')} rendered, "
        f"{report.clients_skipped} unchanged, {plural(report.pages_written, 'page')} written "
        f"in {report.seconds:.2f} s.",
        highlight=False,
        soft_wrap=True,
    )
    out_console.print(
        f"Portal: {report.public}/  (private data: {report.ledger})", markup=False, soft_wrap=True
    )
    out_console.print(
        f"Receivables report (private): {report_page}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    shown = list(report.portals.items())[:MAX_LISTED]
    for client_id, page in shown:
        out_console.print(f"  {client_id}: {report.public}/{page}", highlight=False, soft_wrap=True)
    if len(report.portals) > len(shown):
        out_console.print(
            f"  … and {len(report.portals) - len(shown)} more (build/manifest.json)",
            highlight=False,
            soft_wrap=True,
        )


# --- serve: the whole system on this machine (local/serve/, imported on use) ---


@app.command()
def serve(
    port: Annotated[
        int,
        typer.Option(
            "--port",
            help="Port of the site, the API (/api) and the agency page; the local Stripe "
            "uses the next one. 0 picks free ports.",
            min=0,
            max=65534,
        ),
    ] = 8000,
    content: ContentOpt = Path("content"),
    today: TodayOpt = None,
    store_path: StoreOpt = DEFAULT_STORE,
) -> None:
    """Run the whole system on this machine: portals, API, checkout, mail, rebuilds on edits.

    Loopback only. Payments go to a local Stripe-compatible server (test cards, no
    money moves), or to Stripe's test mode when STRIPE_SECRET_KEY and
    STRIPE_WEBHOOK_SECRET are set. Ctrl-C stops it; a restart loses nothing.
    """
    from local.serve.system import ServeError, ServeOptions
    from local.serve.system import serve as run_serve

    _show_warnings()

    def say(line: str) -> None:
        print(line, flush=True)  # plain and flushed: people and scripts read it as it comes

    options = ServeOptions(content=content, port=port, today=_today(today), store=store_path)
    try:
        run_serve(options, say)
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except (ServeError, SecretError) as exc:
        err_console.print(f"serve: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def status(
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="Age receivables to this day (YYYY-MM-DD); default: the last build's day. "
            "Amounts (late fees, discounts) stay as of the build's day: run portal build "
            "--today DATE for that day's amounts.",
        ),
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="Only this client's figures.")
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            help="table (the terminal), json (every figure, stable, for scripts; schema in "
            "site_builder/receivables/output.py) or csv (one row per client and currency).",
        ),
    ] = "table",
    content: ContentOpt = Path("content"),
    out: Annotated[
        Path, typer.Option("--out", help="Where the build wrote build/.", file_okay=False)
    ] = Path("."),
    store_path: StoreOpt = DEFAULT_STORE,
) -> None:
    """Receivables: open, overdue, aging, DSO, late payers, and what needs attention.

    Reads what the last portal build left in build/ (never the content files) and
    the payment store; payments recorded since the build are listed, not counted.
    """
    _check_format(output)
    store = SqliteStore(store_path) if store_path.exists() else None
    try:
        found = build_status(out, content, store, _today(today), client)
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except (NoBuild, UnknownClient) as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    if not found.complete:
        err_console.print(
            "[yellow]warning:[/yellow] build/ledger.json was written by an older portal build: "
            "run portal build for payment dates (paid this month, late payers, collected)",
            soft_wrap=True,
        )
    autopay = _autopay_status(store, out, found.figures.today) if store is not None else None
    if output == "json":
        document = found.document()
        if autopay is not None:
            document["autopay"] = autopay.document()
        sys.stdout.buffer.write(dumps(document))
    elif output == "csv":
        sys.stdout.write(client_csv(found.figures))
    else:
        figures = found.figures
        when = f"as of the build of {figures.build_day}"
        if figures.today.isoformat() != figures.build_day:
            when += f", aged to {figures.today}"
        out_console.print(
            f"[bold]{escape(found.agency.name)}[/bold]: receivables {when}",
            highlight=False,
            soft_wrap=True,
        )
        width = out_console.width
        shown = tables(figures, found.attention, found.agency.locale, width)
        shown += autopay_tables(autopay, width) if autopay is not None else []
        for renderable in shown:
            out_console.print(renderable, soft_wrap=isinstance(renderable, Text))


def _autopay_status(store: SqliteStore, out: Path, today: date) -> AutopayStatus:
    """Automatic payments from the store and the build's snapshots (functions/autopay)."""
    from functions.autopay.status import autopay_status
    from functions.snapshots import FolderSnapshots

    return autopay_status(store, FolderSnapshots(out / "build" / "clients"), today)


@app.command("import")
def import_(
    csv_file: Annotated[
        Path, typer.Argument(help="The billing export (CSV, one row per invoice line).")
    ],
    mapping: Annotated[
        str,
        typer.Option(
            "--mapping",
            help="Which column is which field: generic (the default), stripe, or a mapping "
            "file (see site_builder/importer/mappings/).",
        ),
    ] = "generic",
    content: ContentOpt = Path("content"),
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Also overwrite invoices that have payments (check them first)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    store_path: StoreOpt = DEFAULT_STORE,
) -> None:
    """Turn a billing export into content files: new and changed invoices, missing clients.

    Every row it cannot use is listed with its row number (the header is row 1);
    none of such an invoice is written. An invoice with payments is not
    overwritten without --force. A second run on the same file changes nothing.
    Exit 2 if any row was refused.
    """
    store = SqliteStore(store_path) if store_path.exists() else None
    try:
        result = import_csv(csv_file, content, mapping, store=store, force=force, dry_run=dry_run)
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except (FileRefused, MappingInvalid) as exc:
        err_console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    for error in result.errors:
        err_console.print(str(error), markup=False, highlight=False, soft_wrap=True)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
    verb = "Would import" if dry_run else "Imported"
    out_console.print(
        f"{verb} {csv_file.name}: {plural(len(result.created), 'invoice')} new, "
        f"{len(result.updated)} changed, {len(result.unchanged)} unchanged, "
        f"{plural(len(result.clients_created), 'new client')}; "
        f"{plural(len(result.skipped), 'invoice')} not imported "
        f"({plural(len(result.errors), 'problem')}).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if result.errors:
        raise typer.Exit(2)


# --- deploy and destroy: thin commands over infra/ (imported on use: boto3 is slow to load) ---

StackOpt = Annotated[str, typer.Option("--stack", help="The CloudFormation stack's name.")]
RegionOpt = Annotated[
    str | None, typer.Option("--region", help="The AWS region; default: AWS_REGION / profile.")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="Send every AWS call here (an emulator, e.g. moto)."),
]


@app.command()
def deploy(
    content: ContentOpt = Path("content"),
    out: Annotated[
        Path, typer.Option("--out", help="Where public/ and build/ are written.", file_okay=False)
    ] = Path("."),
    today: TodayOpt = None,
    stack: StackOpt = "clientportal",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
) -> None:
    """Build, then deploy the stack, the functions, the site and the ledger to AWS."""
    from infra.aws import DeployError
    from infra.deploy import DeployOptions
    from infra.deploy import deploy as run_deploy

    _show_warnings()
    options = DeployOptions(
        content, out, _today(today), stack, region, endpoint_url, adapter=_adapter(endpoint_url)
    )
    try:
        run_deploy(options, say=lambda line: out_console.print(line, markup=False, soft_wrap=True))
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except (DeployError, SecretError) as exc:
        err_console.print(f"deploy failed: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def destroy(
    stack: StackOpt = "clientportal",
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
) -> None:
    """Remove the stack (the site with it); keeps the payments table and says what it kept."""
    from infra.aws import DeployError
    from infra.deploy import destroy as run_destroy

    try:
        run_destroy(
            stack,
            region,
            endpoint_url,
            say=lambda line: out_console.print(line, markup=False, soft_wrap=True),
            adapter=_adapter(endpoint_url),
        )
    except DeployError as exc:
        err_console.print(f"destroy failed: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _adapter(endpoint_url: str | None) -> AdapterFactory | None:
    """An endpoint is an emulator (moto's server): make what its CloudFormation lacks."""
    if endpoint_url is None:
        return None
    from local.emulated import Emulator

    return Emulator


# --- portal remind -------------------------------------------------------------------
# (its imports are local: the other commands do not pay for the reminder job's modules)

if TYPE_CHECKING:
    from functions.autopay.charges import ChargeReport, ChargeRow
    from functions.autopay.status import AutopayStatus
    from functions.autopay.stripe_api import StripeObjects
    from functions.reminders.job import RemindReport
    from infra.deploy import AdapterFactory

RemindTodayOpt = Annotated[
    str | None,
    typer.Option(
        "--today", help="The day to remind for (YYYY-MM-DD); default: the agency's today."
    ),
]


@app.command()
def remind(
    content: ContentOpt = Path("content"),
    out: Annotated[
        Path, typer.Option("--out", help="Where build/ is (and public/).", file_okay=False)
    ] = Path("."),
    today: RemindTodayOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; change nothing.")
    ] = False,
    store_path: StoreOpt = DEFAULT_STORE,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            help="table (fitted to the terminal), json (every field, for scripts; schema in "
            "portal/remind_output.py) or csv (one row per reminder).",
        ),
    ] = "table",
) -> None:
    """Queue the reminders due on a day, each step once, in the outbox the drain sends from.

    Brings build/ up to date first (a build for the same day as the last one, which
    re-renders only what changed, and loads the changes into the store).
    """
    from functions.autopay.charges import run as run_charges
    from functions.reminders.job import run as run_reminders
    from functions.snapshots import FolderSnapshots, OverlaySnapshots
    from site_builder import content as cnt
    from site_builder import manifest
    from site_builder.build import agency_today
    from site_builder.render import Theme
    from site_builder.tokens import portal_secret

    _check_format(output)
    _show_warnings()
    try:
        secret = portal_secret()
    except SecretError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    agency_file = cnt.Source("agency.yaml", "agency", "agency", 0, 0)
    validator = cnt.Validator(content)
    agency = validator.agency(cnt.read(content, agency_file))
    if agency is None:
        _report_problems(ContentInvalid(validator.errors))
        raise typer.Exit(2)
    day = _today(today) or agency_today(agency)
    store = SqliteStore(store_path)
    if dry_run and manifest.load(out / "build") is None:
        err_console.print(
            f"[red]No build in {out / 'build'}: run `portal build` first.[/red]", soft_wrap=True
        )
        raise typer.Exit(2)
    # Both runs decide from a build brought up to the day (only the clients whose files,
    # payments or day changed are rendered again). The real run writes it and loads it into
    # the store; the dry run builds in memory and loads it into a copy of the store, so it
    # lists exactly what the real run would queue, and changes nothing.
    problems: list[str] = []
    try:
        built = run_build(
            content,
            out,
            day,
            recorded=by_client(store, problems),
            receipts=receipt_numbers(store),
            methods=methods_by_client(store),
            secret=secret,
            in_memory=dry_run,
        )
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    for problem in problems:
        err_console.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    with tempfile.TemporaryDirectory() as scratch:
        deciding = store.copy(Path(scratch) / "dry-run.sqlite3") if dry_run else store
        load_ledger(deciding, built.ledger_changes, day)  # and new offline payments' receipts
        snapshots = OverlaySnapshots(built.snapshots, FolderSnapshots(out / "build" / "clients"))
        # the automatic charges first: a part charged today gets no reminder
        charges = run_charges(
            deciding, snapshots, Theme(), day, secret=secret, stripe=_stripe(), dry_run=dry_run
        )
        report = run_reminders(
            deciding,
            OverlaySnapshots(built.snapshots, FolderSnapshots(out / "build" / "clients")),
            Theme(),
            day,
            secret=secret,
            dry_run=dry_run,
        )
    _print_reminders(report, store, output, charges)
    if dry_run and built.clients_rendered:
        err_console.print(
            f"Dry run: built in memory for {day} ({plural(built.clients_rendered, 'client')} "
            "re-made since the last build); nothing was written.",
            markup=False,
            soft_wrap=True,
        )


def _stripe() -> StripeObjects | None:
    """Stripe for the automatic charges, as ``portal serve`` reaches it (STRIPE_SECRET_KEY,
    STRIPE_API_BASE for the local Stripe-compatible server); None without a key."""
    from functions.config import StripeSessions

    key = os.environ.get("STRIPE_SECRET_KEY")
    return StripeSessions(key, os.environ.get("STRIPE_API_BASE")) if key else None


def _print_charges(charges: ChargeReport, say: Console) -> None:
    """The automatic charges of the run, a line each, before the reminders' summary."""
    verb = "Would charge" if charges.dry_run else "Charged"
    lines = [
        *(f"{verb} {r.amount} to {r.method} for {_part(r)}." for r in charges.charged),
        *(
            f"Charged {r.amount} to {r.method} for {_part(r)} (processing)."
            for r in charges.processing
        ),
        *(
            f"Charge of {r.amount} to {r.method} for {_part(r)} failed ({r.reason})."
            for r in charges.failed
        ),
        *(
            f"Pre-charge notice {'would be ' if charges.dry_run else ''}queued for {_part(r)} "
            f"({r.amount} to {r.method})."
            for r in charges.notices
        ),
        *(
            f"Automatic payments turned off for {c}: its method kept failing."
            for c in charges.turned_off
        ),
    ]
    for line in lines:
        say.print(line, markup=False, highlight=False, soft_wrap=True)
    if charges.clients:
        made = "would be made" if charges.dry_run else "made"
        say.print(
            f"{plural(charges.clients, 'client')} on automatic payments; "
            f"{plural(len(charges.charged), 'charge')} {made}"
            + (f", {charges.already} taken by another run" if charges.already else "")
            + ".",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for problem in charges.problems:
        err_console.print(f"[yellow]warning:[/yellow] {escape(problem)}", soft_wrap=True)


def _part(row: ChargeRow) -> str:
    part = f"{row.invoice}, instalment {row.instalment}" if row.instalment else row.invoice
    return f"{part} ({row.client}, attempt {row.attempt})" if row.attempt else part


def _print_reminders(
    report: RemindReport, store: SqliteStore, output: str, charges: ChargeReport | None = None
) -> None:
    import orjson

    from portal import remind_output

    say = out_console  # the summary follows the table; after JSON or CSV, stdout is theirs
    if output == "json":
        document = orjson.loads(remind_output.dumps(report))
        if charges is not None:
            document["autopay"] = charges.document()
        options = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
        sys.stdout.buffer.write(orjson.dumps(document, option=options) + b"\n")
        say = err_console
    elif output == "csv":
        sys.stdout.write(remind_output.reminders_csv(report.sent))
        say = err_console
    if charges is not None:
        _print_charges(charges, say)
    if output not in ("json", "csv") and report.sent:
        title = "Would send" if report.dry_run else "Queued"
        shown, notes = remind_output.for_terminal(
            report.sent, f"{title} on {report.day.isoformat()}", out_console.width
        )
        out_console.print(shown)
        for note in notes:
            out_console.print(note, style="dim", markup=False, highlight=False, soft_wrap=True)
    # short sentences, each on its own line; soft_wrap: rich never breaks one in the middle
    verb = "would be queued" if report.dry_run else "queued"
    say.print(
        f"{plural(len(report.sent), 'reminder')} {verb}; "
        f"{report.looked_at} looked at in {report.seconds:.2f} s.",
        highlight=False,
        soft_wrap=True,
    )
    for row in report.statements:  # the monthly statement emails, on the agency's day
        say.print(
            f"Statement {row.month} for {row.client} {verb} (closing balance {row.closing}).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    others = [
        f"{len(report.already)} sent before by another run" if report.already else "",
        f"{report.waiting} waiting for a later day" if report.waiting else "",
        f"{report.closed} closed (paid, void or disputed)" if report.closed else "",
    ]
    if any(others):
        say.print(f"{'; '.join(filter(None, others))}.", highlight=False, soft_wrap=True)
    for problem in report.problems:
        err_console.print(f"[yellow]warning:[/yellow] {escape(problem)}", soft_wrap=True)
    unsent = [i for i in store.unsent() if i.key.startswith("reminder:")]
    failing = [i for i in unsent if i.attempts]
    if unsent:
        say.print(
            f"{plural(len(unsent), 'reminder email')} in the outbox, "
            f"waiting for the outbox drain to send them.",
            highlight=False,
            soft_wrap=True,
        )
    for item in failing[:MAX_LISTED]:
        err_console.print(
            f"[yellow]not sent yet[/yellow] {escape(item.key)} after "
            f"{plural(item.attempts, 'attempt')}: {escape(item.last_error)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(failing) > MAX_LISTED:
        err_console.print(
            f"… and {len(failing) - MAX_LISTED} more not sent yet (portal status lists them).",
            highlight=False,
            soft_wrap=True,
        )


# --- starting from nothing: portal schema, init, new invoice (logic in portal/scaffold.py) ---

new_app = typer.Typer(help="Start a new content file.", no_args_is_help=True)
app.add_typer(new_app, name="new")

IssueDayOpt = Annotated[
    str | None,
    typer.Option(
        "--today", help="The issue date (YYYY-MM-DD); default: today in the agency's time zone."
    ),
]


@app.command()
def schema(
    content: ContentOpt = Path("content"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write them; default: schema/ in the content folder.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Write the JSON Schema of each content file, for editors (completion, type checks)."""
    if out is None and not content.is_dir():
        err_console.print(
            f"no content folder {content} (give --content DIR or --out DIR)",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    found = scaffold.write_schemas(out or content / scaffold.starter.SCHEMA_DIR)
    out_console.print(
        f"{found.folder}/: {len(found.written)} written, {len(found.unchanged)} up to date "
        f"({', '.join(found.written + found.unchanged)})",
        highlight=False,
        soft_wrap=True,
    )
    out_console.print(
        "A content file's first line gives an editor its schema: "
        "# yaml-language-server: $schema=schema/agency.schema.json",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def init(
    folder: Annotated[
        Path, typer.Argument(help="The new content folder (new or empty).", file_okay=False)
    ],
    today: IssueDayOpt = None,
) -> None:
    """Start a content folder: agency.yaml, one client, one invoice and the schema files."""
    try:
        started = scaffold.init(folder, _today(today))
    except scaffold.ScaffoldError as exc:
        err_console.print(f"init: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    # soft_wrap: the paths and commands are copied from here, so never broken across lines
    out_console.print(
        f"Wrote {plural(len(started.files), 'file')} into {folder}/. Edit next:",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for line in scaffold.next_steps(started):
        out_console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    out_console.print("Then try:", highlight=False)
    for command in ("check", "build"):
        out_console.print(
            f"  portal {command} --content {folder}", markup=False, highlight=False, soft_wrap=True
        )


@new_app.command("invoice")
def new_invoice(
    client: Annotated[str, typer.Option("--client", help="The client's id: its clients/ file.")],
    content: ContentOpt = Path("content"),
    today: IssueDayOpt = None,
) -> None:
    """Write a draft invoice for a client with the next number, issued today."""
    try:
        made = scaffold.new_invoice(content, client, _today(today))
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except scaffold.ScaffoldError as exc:
        err_console.print(f"new invoice: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out_console.print(
        f"Wrote {made.path}: draft invoice {made.number} for {made.client}, issued "
        f"{made.issued.isoformat()}. Fill in its items, delete `status: draft`, then "
        f"portal check --content {content}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if made.schema_missing:
        out_console.print(
            f"(its editor schema is not in {content}/schema/ yet: portal schema --content "
            f"{content} writes it)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


if __name__ == "__main__":
    app()
