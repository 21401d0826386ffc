"""The URLs of the platform's services, as launches advertise them and AGS answers carry them.

Moodle's service URLs carry the tool type (`type_id`, the deployment id) in a query string
that a tool must keep when it adds `/scores` or `/results` to a line item URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sandbox.gradebook import LineItem, Result

if TYPE_CHECKING:
    from sandbox.state import SandboxState


def _moodle_query(state: SandboxState, deployment_id: str) -> str:
    return "?" + urlencode({"type_id": deployment_id}) if state.flavour.name == "moodle" else ""


def line_items_url(state: SandboxState, course_id: str, deployment_id: str) -> str:
    url = state.service_url(state.flavour.line_items_path, course_id=course_id)
    return url + _moodle_query(state, deployment_id)


def line_item_url(state: SandboxState, item: LineItem, suffix: str = "") -> str:
    """The line item's id (its URL); `suffix` "/scores" or "/results" for its sub-services."""
    url = state.service_url(state.flavour.line_item_path, course_id=item.course_id, item_id=item.id)
    return url + suffix + _moodle_query(state, item.deployment_id)


def result_url(state: SandboxState, item: LineItem, result: Result, user_id: str) -> str:
    base = state.service_url(state.flavour.line_item_path, course_id=item.course_id, item_id=item.id)
    if state.flavour.name == "moodle":
        return base + "/results?" + urlencode({"type_id": item.deployment_id, "user_id": user_id})
    return f"{base}/results/{result.id}"


def memberships_url(state: SandboxState, course_id: str, deployment_id: str) -> str:
    rule = state.flavour.memberships_path
    if state.flavour.name == "moodle":
        return state.service_url(rule, course_id=course_id, type_id=deployment_id)
    return state.service_url(rule, course_id=course_id)
