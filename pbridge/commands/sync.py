"""`pbridge sync`: pull scores, compute standings, write back; a progress bar on a terminal."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from bridge.jobs import Dispatcher, bridge_from_settings, make_celery
from bridge.runs import Progress, courses_to_sync, execute_run, start_run
from pbridge.runtime import open_runtime
from store.sync_runs import SyncError


@click.command("sync")
@click.option("--course", "course_ids", type=int, multiple=True, help="A course id (repeat for several).")
@click.option("--platform", "platform_id", type=int, default=None, help="Every course of one platform.")
@click.option("--all", "everything", is_flag=True, help="Every course.")
@click.option("--queue", is_flag=True, help="Hand the courses to Celery workers instead of running here.")
@click.option("--workers", default=4, show_default=True, help="Courses synced at once in this process.")
def sync(
    course_ids: tuple[int, ...], platform_id: int | None, everything: bool, queue: bool, workers: int
) -> None:
    """Sync courses with their LMS: roster, scores, standings, gradebook columns."""
    runtime = open_runtime()
    chosen = courses_to_sync(
        runtime.database, course_ids=course_ids, platform_id=platform_id, everything=everything
    )
    if not chosen:
        click.echo("No course to sync: courses appear once someone launches the tool from them.")
        return
    bridge = bridge_from_settings(runtime.settings, database=runtime.database)
    run_id = start_run(runtime.database, chosen, trigger="cli")
    if queue:
        if not runtime.settings.redis_url:
            raise click.ClickException("--queue needs REDIS_URL (Celery workers); without it, sync runs here")
        Dispatcher(bridge, celery=make_celery(runtime.settings)).dispatch(run_id)
        click.echo(f"Run {run_id}: {len(chosen)} course(s) queued for the workers.")
        return

    interactive = sys.stdout.isatty()
    with click.progressbar(
        length=len(chosen), label=f"Run {run_id}", show_pos=True, file=sys.stdout if interactive else None
    ) as bar:
        shown = 0

        def progress(update: Progress) -> None:
            nonlocal shown
            if update.units_done > shown:
                bar.update(update.units_done - shown)
                shown = update.units_done

        run = execute_run(bridge, run_id, progress=progress, course_workers=workers)
    click.echo(
        f"Run {run_id} {run.status.value}: {run.pulled} scores pulled, {run.computed} standings changed, "
        f"{run.written} written, {run.skipped} unchanged, {run.failed} failed, {run.requests} requests."
    )
    with runtime.database.begin() as session:
        problems = session.scalars(
            select(SyncError).where(SyncError.run_id == run_id).order_by(SyncError.id)
        ).all()
        for problem in problems[:20]:
            click.echo(f"  course {problem.course_id}: {problem.subject}: {problem.reason}")
        if len(problems) > 20:
            click.echo(f"  … and {len(problems) - 20} more (see the admin page's sync runs)")
    if run.failed and not run.written and not run.pulled:
        sys.exit(1)


commands = [sync]
