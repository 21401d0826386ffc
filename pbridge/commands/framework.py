"""`pbridge framework import|export|list|show|publish`: frameworks as YAML, CSV or CASE JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from mappings.framework import FrameworkDocument, GraduationStandard
from mappings.framework_formats import FORMATS, export_framework, format_for
from mappings.framework_formats.text_values import decimal_text
from pbridge.runtime import open_runtime
from pbridge.settings import Settings
from store.database import Database
from store.framework_repository import (
    get_framework,
    import_framework,
    import_sample_framework,
    list_frameworks,
    list_versions,
    load_document,
    publish_framework,
)
from store.frameworks import FrameworkStatus


@click.group("framework")
def framework() -> None:
    """Graduation-standard frameworks: import, export, list, show, publish."""


@framework.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    help="The file's format; by default from its name (.yaml/.yml, .csv, .json for CASE).",
)
@click.option("--publish", is_flag=True, help="Publish the imported version at once.")
@click.option("--code", help="Store the framework under this code instead of the file's own.")
def import_command(file: Path, file_format: str | None, publish: bool, code: str | None) -> None:
    """Read FILE and store it as a new draft version (or edit the current draft).

    A malformed file is refused as a whole, naming the line, column or CASE identifier
    that is wrong; nothing is stored.
    """
    runtime = open_runtime()
    try:
        with runtime.database.begin() as session:
            result = import_framework(
                session,
                file.read_bytes(),
                file_name=str(file),
                file_format=file_format,
                code=code,
                publish=publish,
            )
            stored = result.framework
            name = f"{stored.code} version {stored.version}"
            if not result.changed:
                click.echo(f"{name} ({stored.status.value}) already holds this framework; nothing changed.")
            elif stored.status is FrameworkStatus.PUBLISHED:
                click.echo(f"Imported and published {name}: {_summary(result.document)}.")
            else:
                click.echo(f"Imported {name} as a draft: {_summary(result.document)}.")
                click.echo(f"Publish it with `pbridge framework publish {stored.code}`.")
    finally:
        runtime.database.dispose()


@framework.command("export")
@click.argument("code")
@click.option("--version", type=int, help="The version to export; by default the published one.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    help="yaml, csv or case (CASE 1.1 JSON); by default from the output file's name.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of the standard output.",
)
def export_command(code: str, version: int | None, file_format: str | None, output: Path | None) -> None:
    """Write a stored framework as YAML, CSV or a CASE package."""
    if file_format is None:
        if output is None:
            raise click.UsageError("say which format with --format yaml, csv or case")
        file_format = format_for(output.name)
    runtime = open_runtime()
    try:
        with runtime.database.begin() as session:
            stored = get_framework(session, code, version=version)
            document = load_document(session, stored)
            changed_at = stored.published_at or stored.created_at
            text = export_framework(document, file_format, changed_at=changed_at)
    finally:
        runtime.database.dispose()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        click.echo(f"Wrote {code} version {stored.version} as {file_format} to {output}.", err=True)


@framework.command("list")
def list_command() -> None:
    """Every framework with its versions and their status."""
    runtime = open_runtime()
    try:
        with runtime.database.begin() as session:
            rows = [(f.code, str(f.version), f.status.value, f.title) for f in list_frameworks(session)]
    finally:
        runtime.database.dispose()
    if not rows:
        click.echo("No frameworks yet; import one with `pbridge framework import FILE`.")
        return
    widths = [max(len(row[i]) for row in [("CODE", "VERSION", "STATUS", ""), *rows]) for i in range(3)]
    for row in [("CODE", "VERSION", "STATUS", "TITLE"), *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[3]]))


@framework.command("show")
@click.argument("code")
@click.option("--version", type=int, help="The version to show; by default the published one.")
def show_command(code: str, version: int | None) -> None:
    """A framework's scale and its tree of standards, indicators and objectives."""
    runtime = open_runtime()
    try:
        with runtime.database.begin() as session:
            stored = get_framework(session, code, version=version)
            document = load_document(session, stored)
            status = stored.status.value
            if stored.published_at is not None:
                status += f" {stored.published_at:%Y-%m-%d}"
    finally:
        runtime.database.dispose()
    click.echo(f"{document.code} version {stored.version} ({status}): {document.title}")
    scale = document.scale
    levels = " · ".join(
        f"{decimal_text(level.value)} {level.label}" + (" (meets)" if level.value == scale.meets else "")
        for level in scale.levels
    )
    click.echo(f"Scale: {levels}; half points: {'yes' if scale.half_points else 'no'}")
    for area in document.content_areas:
        click.echo(f"{area.code}  {_line(area.title)}")
        for standard in area.standards:
            _echo_standard(standard, indent="  ")
    for heading, group in (
        ("Cross-curricular standards", document.cross_curricular),
        ("Habits of work", document.habits_of_work),
    ):
        if group:
            click.echo(heading)
            for standard in group:
                _echo_standard(standard, indent="  ")


@framework.command("publish")
@click.argument("code")
@click.option("--version", type=int, help="The draft to publish; by default the newest one.")
def publish_command(code: str, version: int | None) -> None:
    """Put a draft version in use; the version in use before it is retired."""
    runtime = open_runtime()
    try:
        with runtime.database.begin() as session:
            published = publish_framework(session, code, version=version)
            retired = [v.version for v in list_versions(session, code) if v.status is FrameworkStatus.RETIRED]
            click.echo(f"Published {code} version {published.version}.")
            if retired and retired[-1] == published.version - 1:
                click.echo(f"Version {retired[-1]} is retired; evidence recorded against it is kept.")
    finally:
        runtime.database.dispose()


def _echo_standard(standard: GraduationStandard, *, indent: str) -> None:
    click.echo(f"{indent}{standard.code}  {_line(standard.title)}")
    for indicator in standard.indicators:
        click.echo(f"{indent}  {indicator.code}  {_line(indicator.title)}")
        for objective in indicator.objectives:
            click.echo(f"{indent}    {objective.code}  {_line(objective.title)}")


def _line(text: str) -> str:
    return " ".join(text.split())


def _summary(document: FrameworkDocument) -> str:
    parts = [
        (len(document.content_areas), "content area", "content areas"),
        (sum(len(a.standards) for a in document.content_areas), "standard", "standards"),
        (len(document.cross_curricular), "cross-curricular standard", "cross-curricular standards"),
        (len(document.habits_of_work), "habit of work", "habits of work"),
        (len(document.indicators), "indicator", "indicators"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts)


def load_sample_framework(database: Database, settings: Settings, say: Callable[[str], None]) -> None:
    """A `pbridge demo` set-up step: publish the sample framework (SAMPLE-HS)."""
    with database.begin() as session:
        result = import_sample_framework(session)
        stored = result.framework
        say(f"Framework {stored.code} version {stored.version} is published: {_summary(result.document)}.")


commands = [framework]
