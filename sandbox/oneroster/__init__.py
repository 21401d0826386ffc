"""A OneRoster 1.2 (and 1.1) SIS of our own: rostering and gradebook, for the demo and tests.

The independent peer the SIS bridge is tested against, written from the specs; it imports
nothing of `lti/`, `bridge/`, `mappings/`, `store/` or `pbridge/`.

    state = OneRosterState(version="1.2")
    state.add_client("pb", "secret")
    seed_district(state, users=500, classes=20, enrollments=1500)
    app = create_app(state)          # WSGI: httpx.WSGITransport(app=app), or serve(app)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.oneroster.app import (
    BOTH_1_1,
    GRADEBOOK_1_2,
    ROSTERING_1_2,
    TOKEN_PATH,
    create_app,
    seed_gradebook_category,
)
from sandbox.oneroster.faults import FaultRule
from sandbox.oneroster.seed import District, seed_district
from sandbox.oneroster.state import OneRosterState


@dataclass
class Served:
    """A sandbox SIS answering on a loopback port in a background thread."""

    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def serve(state: OneRosterState, *, host: str = "127.0.0.1", port: int = 0) -> Served:
    """Serve `state` over real HTTP (threaded: requests are answered concurrently)."""
    server = make_server(host, port, create_app(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oneroster-sandbox", daemon=True)
    thread.start()
    return Served(server, thread)


__all__ = [
    "BOTH_1_1",
    "GRADEBOOK_1_2",
    "ROSTERING_1_2",
    "TOKEN_PATH",
    "District",
    "FaultRule",
    "OneRosterState",
    "Served",
    "create_app",
    "seed_district",
    "seed_gradebook_category",
    "serve",
]
