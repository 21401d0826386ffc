"""`pbridge oneroster ...`: SIS connections, roster and gradebook sync, CSV import and export.

Secrets are never echoed: the client secret comes from a hidden prompt or the
`PBRIDGE_SIS_CLIENT_SECRET` variable (a command-line flag would land in shell history), and
`list` shows only whether it is set. Every command prints one summary line per thing it did.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import click

from bridge.oneroster.client import OneRosterClient, SisConfig
from bridge.oneroster.connection_check import check_connection
from bridge.oneroster.csv_export import export_standings_csv
from bridge.oneroster.csv_import import import_csv_zip
from bridge.oneroster.gradebook import pull_gradebooks
from bridge.oneroster.roster_sync import sync_roster
from bridge.oneroster.standings import classes_of, read_standings_csv
from bridge.oneroster.writeback import write_back
from pbridge.errors import SettingsError
from pbridge.runtime import Runtime, open_runtime
from store.sis import (
    ConnectionSettings,
    SisAuthKind,
    SisConnectionInvalid,
    SisVersion,
    add_connection,
    describe_connection,
    get_connection,
    list_connections,
    remove_connection,
)
from store.sis_roster import class_contexts
from store.types import utcnow


def _headers(pairs: tuple[str, ...], flag: str) -> dict[str, str]:
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise SisConnectionInvalid(f"{flag} {name.strip() or pair!r}: write it as 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def _client(runtime: Runtime, name: str) -> tuple[int, OneRosterClient]:
    with runtime.database.begin() as session:
        row = get_connection(session, name)
        config = SisConfig.from_connection(row, runtime.secret_box)
        return row.id, OneRosterClient.connect(config, timeout=runtime.settings.http_timeout)


@click.group("oneroster")
def oneroster() -> None:
    """SIS connections (OneRoster 1.1 / 1.2), roster and gradebook sync, CSV bulk."""


@oneroster.command("connect")
@click.option("--name", required=True, help="A name admins recognise, e.g. 'District SIS'.")
@click.option("--base-url", default="", help="The SIS root, e.g. https://sis.example.org")
@click.option("--version", "version", type=click.Choice(["1.1", "1.2"]), default="1.2", show_default=True)
@click.option("--auth", type=click.Choice(["oauth2", "oauth1"]), default="oauth2", show_default=True)
@click.option("--token-url", default="", help="OAuth 2 token endpoint.")
@click.option("--client-id", default="", help="The client id (OAuth 1: consumer key).")
@click.option(
    "--scope", "scopes", multiple=True, help="Scopes to ask for instead of the spec's (repeatable)."
)
@click.option("--header", "headers", multiple=True, help="'Name: value' sent on every call (repeatable).")
@click.option(
    "--gradebook-header",
    "gradebook_headers",
    multiple=True,
    help="'Name: value' sent on gradebook calls only, e.g. x-vendor-authorization.",
)
@click.option("--rostering-path", default="", help="Instead of the spec's service path.")
@click.option("--gradebook-path", default="", help="Instead of the spec's service path.")
@click.option("--page-size", type=int, default=100, show_default=True)
@click.option(
    "--concurrency", type=int, default=4, show_default=True, help="1 for SIS that want serial calls."
)
@click.option("--csv-only", is_flag=True, help="No REST API: the connection only receives CSV imports.")
def connect(
    name: str,
    base_url: str,
    version: str,
    auth: str,
    token_url: str,
    client_id: str,
    scopes: tuple[str, ...],
    headers: tuple[str, ...],
    gradebook_headers: tuple[str, ...],
    rostering_path: str,
    gradebook_path: str,
    page_size: int,
    concurrency: int,
    csv_only: bool,
) -> None:
    """Add a SIS connection; the client secret is asked for, hidden."""
    if not (os.environ.get("PBRIDGE_ENCRYPTION_KEY") or os.environ.get("PBRIDGE_SECRET_KEY")):
        raise SettingsError(
            "set PBRIDGE_ENCRYPTION_KEY (or PBRIDGE_SECRET_KEY) before storing SIS secrets: without it "
            "the sealed secret could not be opened by the next command"
        )
    secret = ""
    if not csv_only:
        secret = os.environ.get("PBRIDGE_SIS_CLIENT_SECRET") or click.prompt(
            "Client secret", hide_input=True, default="", show_default=False
        )
    settings = ConnectionSettings(
        name=name,
        version=SisVersion(version),
        auth_kind=SisAuthKind.NONE if csv_only else SisAuthKind(auth),
        base_url=base_url,
        token_url=token_url,
        client_id=client_id,
        client_secret=secret,
        scopes=tuple(scopes) or None,
        headers=_headers(headers, "--header"),
        gradebook_headers=_headers(gradebook_headers, "--gradebook-header"),
        rostering_path=rostering_path,
        gradebook_path=gradebook_path,
        page_size=page_size,
        max_concurrency=concurrency,
    )
    runtime = open_runtime()
    with runtime.database.begin() as session:
        row = add_connection(session, runtime.secret_box, settings)
        click.echo(
            f"Added SIS connection {row.name!r} (OneRoster {row.version.value}, {row.auth_kind.value})."
        )
    if not csv_only:
        click.echo(f"Check it with `pbridge oneroster test {name!r}`.")


@oneroster.command("list")
def list_() -> None:
    """SIS connections, secrets shown only as set or not."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        rows = list_connections(session)
        if not rows:
            click.echo("No SIS connections; add one with `pbridge oneroster connect`.")
        for row in rows:
            shown = describe_connection(row)
            click.echo(
                f"{shown['name']}: OneRoster {shown['version']} {shown['auth']} "
                f"{shown['base_url'] or '(CSV only)'}"
                f" | secret {shown['client_secret']} | page {shown['page_size']} x{shown['max_concurrency']}"
                f" | last test {shown['last_test']}"
            )


@oneroster.command("remove")
@click.argument("name")
@click.confirmation_option(prompt="Remove the connection and everything synced through it?")
def remove(name: str) -> None:
    """Remove a connection and its synced roster and gradebook rows."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        remove_connection(session, get_connection(session, name))
    click.echo(f"Removed SIS connection {name!r}.")


@oneroster.command("test")
@click.argument("name")
@click.option("--no-network", is_flag=True, help="Skip the DNS / TCP / TLS checks.")
def test(name: str, no_network: bool) -> None:
    """Try each step a sync takes and say which one fails (DNS, TLS, 401, scope...)."""
    runtime = open_runtime()
    connection_id, client = _client(runtime, name)
    report = check_connection(client, network=not no_network, timeout=runtime.settings.http_timeout)
    for check in report.checks:
        click.echo(f"{'ok ' if check.ok else 'FAIL'} {check.detail}")
    with runtime.database.begin() as session:
        row = get_connection(session, connection_id)
        row.last_test_at = utcnow()
        row.last_test_ok = report.ok
    if not report.ok:
        raise SisConnectionInvalid(f"the connection test of {name!r} failed: {report.first_failure.detail}")


@oneroster.command("sync-roster")
@click.argument("name")
@click.option("--full", is_flag=True, help="Read everything (not only changes) and mark what is gone.")
def sync_roster_command(name: str, full: bool) -> None:
    """Pull orgs, sessions, courses, classes, users and enrollments."""
    runtime = open_runtime()
    connection_id, client = _client(runtime, name)
    report = sync_roster(runtime.database, connection_id, client, full=full)
    for collection in report.collections:
        state = collection.error or (
            f"{collection.pulled} {'changed' if collection.delta else 'records'}"
            + (f", {collection.marked_absent} marked tobedeleted" if collection.marked_absent else "")
        )
        click.echo(f"{collection.collection}: {state}")
    links = report.links
    linked = f"; linked {links.users_linked} users, {links.classes_linked} classes" if links else ""
    click.echo(f"Run {report.run_id} {report.status.value}: {report.requests} requests{linked}.")


@oneroster.command("sync-gradebook")
@click.argument("name")
@click.option("--class", "classes", multiple=True, help="A class sourcedId to read (repeatable).")
@click.option(
    "--standings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Write these standings back instead (CSV: class_sourced_id, student_sourced_id, ...).",
)
@click.option("--scale-min", type=Decimal, default=Decimal(1), show_default=True)
@click.option("--scale-max", type=Decimal, default=Decimal(4), show_default=True)
def sync_gradebook(
    name: str, classes: tuple[str, ...], standings: Path | None, scale_min: Decimal, scale_max: Decimal
) -> None:
    """Read classes' line items and results as evidence, or write standings back."""
    runtime = open_runtime()
    connection_id, client = _client(runtime, name)
    if standings is not None:
        values = read_standings_csv(standings.read_text(encoding="utf-8"), file=standings.name)
        report = write_back(runtime.database, connection_id, client, values, scale=(scale_min, scale_max))
        click.echo(
            f"Run {report.run_id} {report.status.value}: {report.line_items_written} line items and "
            f"{report.results_written} results written, {report.results_cleared} cleared, {report.unchanged} "
            f"unchanged, {report.failed} failed, {report.requests} requests."
        )
        for error in report.errors:
            click.echo(f"  {error}")
        return
    if not classes:
        raise SisConnectionInvalid("name the classes to read with --class, or give --standings to write")
    pulled = pull_gradebooks(runtime.database, connection_id, client, list(classes))
    for class_id, evidence in zip(pulled.classes, pulled.evidence, strict=False):
        detail = "; ".join(evidence.problems) or (
            f"{evidence.observations} observations, {len(evidence.changed)} standings to recompute"
        )
        click.echo(f"{class_id}: {detail}")
    click.echo(
        f"Run {pulled.run_id}: {pulled.line_items} line items, {pulled.results} results, "
        f"{pulled.requests} requests."
    )


@oneroster.command("import-csv")
@click.argument("name")
@click.argument("zip_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_csv(name: str, zip_path: Path) -> None:
    """Import a OneRoster 1.1 / 1.2 CSV zip; one bad row refuses the whole file."""
    runtime = open_runtime()
    with runtime.database.begin() as session:
        row = get_connection(session, name)
        report = import_csv_zip(session, row.id, zip_path.read_bytes())
    for file in report.files:
        marked = f", {file.marked_absent} marked tobedeleted" if file.marked_absent else ""
        click.echo(f"{file.name} ({file.mode}): {file.rows} rows{marked}")
    if report.ignored:
        click.echo(f"Ignored: {', '.join(report.ignored)}")
    click.echo(f"Imported OneRoster {report.version} CSV: {report.rows} rows.")


@oneroster.command("export-csv")
@click.argument("name")
@click.option("--standings", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["delta", "bulk"]), default="delta", show_default=True)
@click.option("--scale-min", type=Decimal, default=Decimal(1), show_default=True)
@click.option("--scale-max", type=Decimal, default=Decimal(4), show_default=True)
def export_csv(
    name: str, standings: Path, out: Path, mode: str, scale_min: Decimal, scale_max: Decimal
) -> None:
    """Write standings as a OneRoster 1.2 CSV zip; classes' schools come from the synced roster."""
    runtime = open_runtime()
    values = read_standings_csv(standings.read_text(encoding="utf-8"), file=standings.name)
    with runtime.database.begin() as session:
        row = get_connection(session, name)
        contexts = class_contexts(session, row.id, classes_of(values))
    data = export_standings_csv(
        values, contexts=contexts, now=utcnow(), scale=(scale_min, scale_max), mode=mode
    )
    out.write_bytes(data)
    click.echo(f"Wrote {out} ({len(data)} bytes, {sum(1 for v in values if v.value is not None)} results).")


commands = [oneroster]
