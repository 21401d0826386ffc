"""A small but honest LTI 1.3 platform (LMS) the tool is launched from in the demo and tests.

Written from the 1EdTech specs (LTI 1.3 Core, Security Framework, AGS 2.0, NRPS 2.0, Deep
Linking 2.0) and the real platforms' quirks in `shared/PLATFORMS.md`, and importing nothing
of the tool's own packages: a bug on one side cannot hide behind the same bug on the other.

    from sandbox import SandboxState, create_app, serve
    from sandbox.seed import seed_demo, seed_school
"""

from __future__ import annotations

from sandbox.process import ProcessServer, serve_process
from sandbox.server import RunningServer, create_app, serve
from sandbox.state import SandboxState
from sandbox.tampering import Tampering

__all__ = [
    "ProcessServer",
    "RunningServer",
    "SandboxState",
    "Tampering",
    "create_app",
    "serve",
    "serve_process",
]
