"""`pbridge native push|import-canvas-outcomes`: standings where the LMS keeps mastery natively.

`push` writes one course's standings as Canvas outcome results or Moodle competency ratings
now (the course sync does the same after its grade columns); Moodle has no web service that
makes a scale, so an admin names one here once and the platform keeps it. `import-canvas-
outcomes` reads a course's or account's Canvas outcomes as a framework.
"""

from __future__ import annotations

import sys

import click

from bridge.jobs import bridge_from_settings
from bridge.native import outcomes_framework, platform_client, push_native, read_outcome_tree
from bridge.outcome import CourseOutcome
from pbridge.runtime import open_runtime
from store.framework_repository import publish_framework, save_framework
from store.frameworks import FrameworkStatus


@click.group("native")
def native() -> None:
    """Standings as native LMS outcome results: Canvas outcomes, Moodle competencies."""


@native.command("push")
@click.option("--course", "course_id", type=int, required=True, help="Our course id (`pbridge sync`'s).")
@click.option(
    "--moodle-scale-id",
    type=click.IntRange(min=1),
    default=None,
    help="The Moodle scale (Grades > Scales) with one item per level, lowest first; kept for later syncs.",
)
def push(course_id: int, moodle_scale_id: int | None) -> None:
    """Write one course's standings as native outcome results now, and say what happened."""
    runtime = open_runtime()
    bridge = bridge_from_settings(runtime.settings, database=runtime.database)
    outcome = CourseOutcome()
    push_native(
        bridge, course_id, outcome, moodle_scale_id=None if moodle_scale_id is None else str(moodle_scale_id)
    )
    click.echo(
        f"Course {course_id}: {outcome.written} native result(s) written, {outcome.skipped} unchanged, "
        f"{outcome.failed} refused."
    )
    for notice in outcome.notices:
        click.echo(f"  note: {notice}")
    for problem in outcome.problems:
        click.echo(f"  {problem.subject}: {problem.reason}")
    if outcome.problems:
        sys.exit(1)


@native.command("import-canvas-outcomes")
@click.option("--platform", "platform_id", type=int, required=True, help="The Canvas platform's id.")
@click.option("--course", "course", help="A Canvas course id: its outcomes.")
@click.option("--account", "account", help="A Canvas account id: its outcomes (an admin token is needed).")
@click.option("--code", help="The framework's code; by default CANVAS-COURSE-<id> or CANVAS-ACCOUNT-<id>.")
@click.option("--publish", is_flag=True, help="Publish the imported version at once.")
def import_canvas_outcomes(
    platform_id: int, course: str | None, account: str | None, code: str | None, publish: bool
) -> None:
    """Save a Canvas course's or account's outcome groups and outcomes as a framework draft.

    Top-level outcome groups become content areas, groups holding outcomes standards, outcomes
    indicators, and the ratings most outcomes share the scale. Nothing is stored on a refusal.
    """
    if bool(course) == bool(account):
        raise click.UsageError("give exactly one of --course (a Canvas course id) or --account")
    context = f"courses/{course}" if course else f"accounts/{account}"
    runtime = open_runtime()
    bridge = bridge_from_settings(runtime.settings, database=runtime.database)
    tree = read_outcome_tree(platform_client(bridge, platform_id), context)
    chosen = code or (f"CANVAS-COURSE-{course}" if course else f"CANVAS-ACCOUNT-{account}")
    imported = outcomes_framework(tree, code=chosen.strip(), title=f"Canvas outcomes: {tree.title}")
    document = imported.document
    with runtime.database.begin() as session:
        framework = save_framework(session, document, source_format="canvas")
        if publish and framework.status is FrameworkStatus.DRAFT:
            publish_framework(session, framework.code, version=framework.version)
        name, status = f"{framework.code} version {framework.version}", framework.status.value
    click.echo(
        f"Saved {name} ({status}) from Canvas {context}: {len(document.content_areas)} content area(s), "
        f"{len(document.standards)} standard(s), {len(document.indicators)} indicator(s); "
        f"scale {' · '.join(f'{level.value} {level.label}' for level in document.scale.levels)}."
    )
    for notice in imported.notices:
        click.echo(f"  note: {notice}")
    if status == FrameworkStatus.DRAFT.value:
        click.echo(f"Publish it with `pbridge framework publish {framework.code}`.")


commands = [native]
