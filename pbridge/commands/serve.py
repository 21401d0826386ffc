"""`pbridge serve`: the tool alone, under gunicorn (threads, so JWKS and launches overlap)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the tool; configure it with DATABASE_URL, REDIS_URL and PBRIDGE_* variables."""
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    if gunicorn is None:
        raise click.ClickException("gunicorn is not installed in this environment")
    args = [
        gunicorn,
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "lti:create_app()",
    ]
    os.execv(gunicorn, args)  # noqa: S606 - replaces this process with gunicorn


commands = [serve]
