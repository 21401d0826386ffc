"""The state of the sandbox serving the current request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from sandbox.state import SandboxState


def current_state() -> SandboxState:
    state: SandboxState = current_app.extensions["sandbox"]
    return state
