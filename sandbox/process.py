"""The sandbox in a process of its own, for benchmarks.

Served in the tool's own process, the sandbox shares one GIL with the tool and its HTTP
client, and a benchmark then measures the two together. `serve_process` builds the state
in a fresh interpreter (from a picklable factory, e.g. a module-level function) and serves
it there. The parent cannot touch that state: it drives faults and reads request counters
through `/sandbox/faults` and `/sandbox/counters`, and reads grades through AGS.

    def school() -> tuple[SandboxState, dict]:
        state = SandboxState.for_flavour("canvas")
        state.register_tool(...)
        seeded = seed_school(state, tool_client_id="pb")
        return state, {"courses": seeded.course_ids}

    with serve_process(school) as server:
        server.url, server.info["courses"]

The child is spawned (a fresh interpreter, never a fork of a process full of threads), so
the factory must be importable and a script calling this needs `if __name__ == "__main__":`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from sandbox.state import SandboxState

#: how long the child may take to build its state and start listening, seconds
START_TIMEOUT = 120

Factory = Callable[[], "SandboxState | tuple[SandboxState, Any]"]


class ProcessServer:
    """A sandbox served by a child process; `stop()` (or leaving a `with`) ends it."""

    def __init__(self, process: multiprocessing.process.BaseProcess, url: str, info: Any) -> None:
        self._process = process
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self.info = info

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=10)

    def __enter__(self) -> ProcessServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_process(factory: Factory, host: str = "127.0.0.1", port: int = 0) -> ProcessServer:
    """Build the state with `factory()` in a new process and serve it there.

    `factory` returns a `SandboxState`, or `(state, info)` where `info` is anything
    picklable the parent wants back (ids the seeding made). Raises RuntimeError with the
    child's error when it cannot start.
    """
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe(duplex=False)
    process = context.Process(target=_run, args=(factory, host, port, child_end), name="sandbox", daemon=True)
    process.start()
    child_end.close()
    if not parent_end.poll(START_TIMEOUT):
        process.terminate()
        raise RuntimeError(f"the sandbox process did not start within {START_TIMEOUT} s")
    try:
        status, url, info = parent_end.recv()
    except EOFError:
        process.join(timeout=5)
        raise RuntimeError(
            f"the sandbox process died while starting (exit code {process.exitcode}); "
            "is the factory importable by a fresh interpreter?"
        ) from None
    if status != "ok":
        process.join(timeout=5)
        raise RuntimeError(f"the sandbox process failed to start: {url}")
    return ProcessServer(process, url, info)


def _run(factory: Factory, host: str, port: int, report: Connection) -> None:
    try:
        from werkzeug.serving import make_server

        from sandbox.server import QuietHandler, create_app

        built = factory()
        state, info = built if isinstance(built, tuple) else (built, None)
        server = make_server(host, port, create_app(state), threaded=True, request_handler=QuietHandler)
        url = f"http://{host}:{server.port}"
        if not state.has_base_url:
            state.bind_base_url(url)
    except Exception as error:  # noqa: BLE001 - the child has no one else to tell
        report.send(("error", f"{type(error).__name__}: {error}", None))
        return
    report.send(("ok", url, info))
    report.close()
    server.serve_forever(poll_interval=0.05)
