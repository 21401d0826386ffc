"""`pbridge demo`: tool + sandbox LMS with a seeded course, on SQLite."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int, help="The tool's port.")
@click.option("--sandbox-port", default=5001, show_default=True, type=int, help="The sandbox LMS's port.")
@click.option(
    "--flavour",
    type=click.Choice(["canvas", "moodle", "schoology", "generic"]),
    default="canvas",
    show_default=True,
    help="Which LMS the sandbox behaves like.",
)
@click.option(
    "--keep", is_flag=True, help="Keep the demo database of the last run instead of starting fresh."
)
def demo(host: str, port: int, sandbox_port: int, flavour: str, keep: bool) -> None:
    """Run the tool and the sandbox LMS together and print the URLs to click."""
    from pbridge.demo import run_demo

    run_demo(host=host, port=port, sandbox_port=sandbox_port, flavour=flavour, fresh=not keep)


commands = [demo]
