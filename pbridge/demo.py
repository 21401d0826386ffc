"""`pbridge demo`: the tool and the sandbox LMS in one process, on SQLite, seeded.

Everything a newcomer needs to click through a real LTI 1.3 launch: a Canvas-flavoured
sandbox with an Algebra I course (a teacher, a TA, 28 students, a dozen scored assignments),
the tool registered with it both ways, the sample framework published.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from lti import create_app
from pbridge.lms_wiring import demo_lms_api
from pbridge.settings import INSTANCE_DIR, Settings
from pbridge.wiring import connect
from sandbox import RunningServer, SandboxState, serve
from sandbox import create_app as create_sandbox
from sandbox.seed import DemoSeed, seed_demo
from store.database import Database
from store.migrate import upgrade


@dataclass
class Demo:
    state: SandboxState
    seed: DemoSeed
    sandbox: RunningServer
    tool: RunningServer
    database: Database
    settings: Settings

    def urls(self) -> dict[str, str]:
        course = self.seed.course_id
        return {
            "launch as teacher": self.state.launch_url(user=self.seed.teacher_id, course=course),
            "launch as student": self.state.launch_url(user=self.seed.student_ids[0], course=course),
            "admin": self.state.launch_url(user=self.seed.admin_id),
        }

    def stop(self) -> None:
        self.tool.stop()
        self.sandbox.stop()
        self.database.dispose()


def start_demo(
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    sandbox_port: int = 5001,
    flavour: str = "canvas",
    database_url: str | None = None,
    fresh: bool = True,
    say: Callable[[str], None] = lambda _line: None,
) -> Demo:
    """Start both servers (in background threads) and seed them; returns what was started."""
    if database_url is None:
        path = INSTANCE_DIR / "demo.db"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    tool_url = f"http://{host}:{port}"
    settings = Settings.from_env(database_url=database_url, base_url=tool_url)
    say("Preparing the database…")
    upgrade(settings.database_url)
    database = Database(settings.database_url)

    state = SandboxState.for_flavour(flavour, base_url=f"http://{host}:{sandbox_port}")
    seed = seed_demo(state)
    sandbox = serve(create_sandbox(state), host=host, port=sandbox_port)
    tool = serve(create_app(settings, database=database), host=host, port=port)
    with database.begin() as session:
        connection = connect(session, state, tool_url=tool_url)
    setup = DemoSetup(state, seed, database, settings, tool_url, connection.client_id, say)
    for step in DEMO_STEPS:
        step(setup)
    return Demo(state=state, seed=seed, sandbox=sandbox, tool=tool, database=database, settings=settings)


@dataclass(frozen=True)
class DemoSetup:
    """What a set-up step of the demo gets: both sides, running."""

    state: SandboxState
    seed: DemoSeed
    database: Database
    settings: Settings
    tool_url: str
    client_id: str
    say: Callable[[str], None]


def _load_framework(setup: DemoSetup) -> None:
    from store.framework_repository import import_sample_framework

    setup.say("Loading the sample framework…")
    with setup.database.begin() as session:
        import_sample_framework(session, publish=True)


def _assessments_with_scores(setup: DemoSetup) -> None:
    from pbridge.demo_course import prepare_demo_course

    setup.say("Opening the course once as its teacher and syncing its first standings…")
    prepare_demo_course(setup)


#: set-up steps in order; areas add theirs (e.g. LMS API credentials for the sandbox)
DEMO_STEPS: list[Callable[[DemoSetup], None]] = [_load_framework, demo_lms_api, _assessments_with_scores]


def run_demo(**options: object) -> None:
    """Start the demo, print the URLs, wait for Ctrl-C."""
    demo = start_demo(say=lambda line: click.echo(line), **options)  # type: ignore[arg-type]
    click.echo("")
    click.echo(f"Proficiency Bridge is running at {demo.settings.base_url}")
    click.echo(f"The sandbox LMS ({demo.state.flavour.name} flavour) is at {demo.state.base_url}")
    click.echo("")
    for label, url in demo.urls().items():
        click.echo(f"  {label:18} {url}")
    click.echo("")
    click.echo("Open a link in a browser. Press Ctrl-C to stop.")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
        click.echo("Stopped.")
