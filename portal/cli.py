"""The ``portal`` command."""

from __future__ import annotations

import os
import sys
import warnings
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from functions.recorded import by_client
from functions.store.sqlite import SqliteStore
from site_builder.build import build as run_build
from site_builder.errors import ContentInvalid
from site_builder.importer import FileRefused, MappingInvalid, import_csv
from site_builder.receivables import NoBuild, UnknownClient, build_status
from site_builder.receivables.output import client_csv, dumps, tables
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
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="The day to build for (YYYY-MM-DD); default: today.")
]


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]--today: expected a date as YYYY-MM-DD, got {value!r}[/red]")
        raise typer.Exit(2) from None


def _report_problems(exc: ContentInvalid) -> None:
    for error in exc.errors:
        err_console.print(str(error), markup=False, highlight=False, soft_wrap=True)
    count = len(exc.errors)
    err_console.print(f"[red]{count} problem{'s' * (count != 1)} found; nothing was written.[/red]")


def _show_warnings() -> None:
    def show(message, category, *args, **kwargs):  # type: ignore[no-untyped-def]
        if issubclass(category, DevelopmentSecretWarning):
            err_console.print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True)
        else:
            err_console.print(f"warning: {message}")

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
    out_console.print(f"[green]OK[/green]: {content} is valid ({report.invoices} invoices).")


@app.command()
def build(
    content: ContentOpt = Path("content"),
    out: Annotated[
        Path, typer.Option("--out", help="Where public/ and build/ are written.", file_okay=False)
    ] = Path("."),
    today: TodayOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Re-render every client.")] = False,
    store_path: StoreOpt = DEFAULT_STORE,
) -> None:
    """Build every client's portal into public/ and the private build/ folder.

    Payments recorded by the payment functions (the local store) count as the
    content's own; the store receives the new ledger.
    """
    _show_warnings()
    show_bar = sys.stderr.isatty() and not os.environ.get("CI")
    store = SqliteStore(store_path)
    recorded = by_client(store)
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
                )
        else:
            report = run_build(content, out, _today(today), force=force, recorded=recorded)
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except SecretError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    store.put_invoices(report.ledger_changes)
    report_page = write_report(out, content, store)
    kind = "full" if report.full else "incremental"
    out_console.print(
        f"Built {report.invoices} invoices ({kind}): {report.clients_rendered} clients rendered, "
        f"{report.clients_skipped} unchanged, {report.pages_written} pages written "
        f"in {report.seconds:.2f} s."
    )
    out_console.print(f"Portal: {report.public}/  (private data: {report.ledger})")
    out_console.print(f"Receivables report (private): {report_page}", highlight=False)
    shown = list(report.portals.items())[:MAX_LISTED]
    for client_id, page in shown:
        out_console.print(f"  {client_id}: {report.public}/{page}", highlight=False, soft_wrap=True)
    if len(report.portals) > len(shown):
        out_console.print(f"  … and {len(report.portals) - len(shown)} more (build/manifest.json)")


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
    if output not in ("table", "json", "csv"):
        err_console.print(f"[red]--format: expected table, json or csv, got {output!r}[/red]")
        raise typer.Exit(2)
    store = SqliteStore(store_path) if store_path.exists() else None
    try:
        found = build_status(out, content, store, _today(today), client)
    except ContentInvalid as exc:
        _report_problems(exc)
        raise typer.Exit(2) from None
    except (NoBuild, UnknownClient) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if not found.complete:
        err_console.print(
            "[yellow]warning:[/yellow] build/ledger.json was written by an older portal build: "
            "run portal build for payment dates (paid this month, late payers, collected)",
            soft_wrap=True,
        )
    if output == "json":
        sys.stdout.buffer.write(dumps(found.document()))
    elif output == "csv":
        sys.stdout.write(client_csv(found.figures))
    else:
        figures = found.figures
        when = f"as of the build of {figures.build_day}"
        if figures.today.isoformat() != figures.build_day:
            when += f", aged to {figures.today}"
        out_console.print(f"[bold]{found.agency.name}[/bold]: receivables {when}", highlight=False)
        for renderable in tables(figures, found.attention, found.agency.locale):
            out_console.print(renderable)


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
        f"{verb} {csv_file.name}: {len(result.created)} invoices new, {len(result.updated)} "
        f"changed, {len(result.unchanged)} unchanged, {len(result.clients_created)} new "
        f"clients; {len(result.skipped)} invoices not imported ({len(result.errors)} problems).",
        highlight=False,
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
) -> None:
    """Queue the reminders due on a day, each step once, in the outbox the drain sends from.

    Brings build/ up to date first (a build for the same day as the last one, which
    re-renders only what changed, and loads the changes into the store).
    """
    from functions.reminders.job import run as run_reminders
    from functions.snapshots import FolderSnapshots
    from site_builder import content as cnt
    from site_builder import manifest
    from site_builder.build import agency_today
    from site_builder.render import Theme
    from site_builder.tokens import portal_secret

    _show_warnings()
    try:
        secret = portal_secret()
    except SecretError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    agency_file = cnt.Source("agency.yaml", "agency", "agency", 0, 0)
    validator = cnt.Validator(content)
    agency = validator.agency(cnt.read(content, agency_file))
    if agency is None:
        _report_problems(ContentInvalid(validator.errors))
        raise typer.Exit(2)
    day = _today(today) or agency_today(agency)
    store = SqliteStore(store_path)
    previous = manifest.load(out / "build")
    if dry_run and previous is None:
        err_console.print(
            f"[red]No build in {out / 'build'}: run `portal build` first.[/red]", soft_wrap=True
        )
        raise typer.Exit(2)
    if not dry_run:
        # the same day as the last build: only what changed since is rendered again
        build_day = date.fromisoformat(previous.today) if previous else day
        try:
            built = run_build(content, out, build_day, recorded=by_client(store), secret=secret)
        except ContentInvalid as exc:
            _report_problems(exc)
            raise typer.Exit(2) from None
        store.put_invoices(built.ledger_changes)

    report = run_reminders(
        store,
        FolderSnapshots(out / "build" / "clients"),
        Theme(),
        day,
        secret=secret,
        dry_run=dry_run,
    )
    _print_reminders(report, store)


def _print_reminders(report: RemindReport, store: SqliteStore) -> None:
    from rich.markup import escape
    from rich.table import Table

    title = "Would send" if report.dry_run else "Queued"
    table = Table(title=f"{title} on {report.day.isoformat()}", show_lines=False)
    for column in ("invoice", "#", "step", "tone", "lang", "to", "cc", "amount due"):
        table.add_column(column, no_wrap=column in ("invoice", "step", "amount due"))
    table.add_column("subject", overflow="fold")
    for row in report.sent:
        table.add_row(
            row.invoice,
            str(row.instalment or ""),
            row.step,
            row.tone,
            row.locale,
            "\n".join(row.to),
            "\n".join(row.cc),
            row.amount_due,
            row.subject,
        )
    if report.sent:
        out_console.print(table)
    verb = "would be queued" if report.dry_run else "queued"
    out_console.print(
        f"{len(report.sent)} reminder{'s' * (len(report.sent) != 1)} {verb}; "
        f"{len(report.already)} sent before by another run; {report.waiting} waiting for a "
        f"later day; {report.closed} closed (paid, void or disputed); "
        f"{report.looked_at} looked at in {report.seconds:.2f} s.",
        highlight=False,
    )
    for problem in report.problems:
        err_console.print(f"[yellow]warning:[/yellow] {problem}", soft_wrap=True)
    unsent = [i for i in store.unsent() if i.key.startswith("reminder:")]
    failing = [i for i in unsent if i.attempts]
    if unsent:
        out_console.print(
            f"{len(unsent)} reminder email{'s' * (len(unsent) != 1)} in the outbox, "
            f"waiting for the outbox drain to send them.",
            highlight=False,
        )
    for item in failing[:MAX_LISTED]:
        err_console.print(
            f"[yellow]not sent yet[/yellow] {item.key} after {item.attempts} attempt"
            f"{'s' * (item.attempts != 1)}: {escape(item.last_error)}",
            highlight=False,
            soft_wrap=True,
        )


if __name__ == "__main__":
    app()
