"""`pbridge recompute`: recalculate every standing of the district as a recorded run."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click
from sqlalchemy import select

from bridge.jobs import Dispatcher, bridge_from_settings, make_celery
from bridge.recompute_runs import queue_district_recompute, run_district_recompute
from pbridge.runtime import open_runtime
from store.sync_runs import RunStatus, SyncError


@click.command("recompute")
@click.option("--queue", is_flag=True, help="Hand the passes to Celery workers instead of running here.")
@click.option(
    "--students-per-pass",
    type=click.IntRange(min=1),
    default=None,
    help="Students in one pass when running here (default: PBRIDGE_RECOMPUTE_PASS_STUDENTS).",
)
def recompute(queue: bool, students_per_pass: int | None) -> None:
    """Recalculate every standing under the district policy as stored, in passes of students.

    What saving the policy page does, for a chosen hour or after restoring a backup. One
    district recalculation runs at a time: this one waits for any other to finish. The
    admin pages list the run with the others.
    """
    runtime = open_runtime()
    settings = runtime.settings
    if queue and not settings.redis_url:
        raise click.ClickException(
            "--queue needs REDIS_URL (Celery workers); without it, the passes run here"
        )
    with runtime.database.begin() as session:
        run_id = queue_district_recompute(session, trigger="cli", reason="pbridge recompute")
    if queue:
        bridge = bridge_from_settings(settings, database=runtime.database)
        Dispatcher(bridge, celery=make_celery(settings)).recompute(run_id)
        click.echo(f"Run {run_id}: queued for the workers, which plan and share its passes.")
        return

    size = students_per_pass or settings.recompute_pass_students
    interactive = sys.stdout.isatty()
    with click.progressbar(
        length=1, label=f"Run {run_id}", show_pos=True, file=sys.stdout if interactive else None
    ) as bar:

        def on_pass(done: int, total: int) -> None:
            bar.length = total
            bar.update(1)

        run = run_district_recompute(
            runtime.database, run_id, students_per_pass=size, on_pass=on_pass, sleep=_waiting()
        )
    students = run.scope.get("students", 0)
    click.echo(
        f"Run {run_id} {run.status.value}: {students:,} students in {run.units_total} pass(es) of at most "
        f"{size:,}, {run.computed:,} standings changed, {run.failed} pass(es) failed."
    )
    with runtime.database.begin() as session:
        for problem in session.scalars(
            select(SyncError).where(SyncError.run_id == run_id).order_by(SyncError.id)
        ):
            click.echo(f"  {problem.subject}: {problem.reason}")
    if run.status is RunStatus.FAILED:
        sys.exit(1)


def _waiting() -> Callable[[float], None]:
    """A pause while another district recalculation holds the lock, said once."""
    said = False

    def sleep(seconds: float) -> None:
        nonlocal said
        if not said:
            click.echo("Waiting for the district recalculation already under way to finish…", err=True)
            said = True
        time.sleep(seconds)

    return sleep


commands = [recompute]
