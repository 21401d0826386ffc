"""Deep linking: place the tool in the course, or a new assessment already aligned.

A new assessment becomes an LTI link with a gradebook column (AGS line item) whose
`resourceId` carries the alignment: `pb-align:<purpose>:<indicator id>.<indicator id>...`.
The platform creates the column when it accepts the link; the next time the teacher opens
the assignments page, `adopt_deep_linked` finds the column by that resourceId and saves the
alignment, so the intent travels with the LMS's own record and nothing is half-stored here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from lti.deep_linking import ContentLink, deep_linking_response
from mappings.conversion import default_cut_scores
from mappings.evidence import Purpose
from pbridge.errors import ProficiencyBridgeError
from store.alignments import AlignmentKind, course_alignments, save_alignment
from store.audit import record_change
from store.launch_sessions import LaunchSession
from store.page_queries import IndicatorEntry, indicator_catalogue, published_indicators
from store.registrations import get_platform
from store.secret_box import SecretBox
from store.tool_keys import current_signing_key

RESOURCE_PREFIX = "pb-align:"
ASSESSMENT_TAG = "pb-assessment"


@dataclass(frozen=True, slots=True)
class DeepLinkForm:
    indicators: tuple[IndicatorEntry, ...]
    purposes: tuple[Purpose, ...] = (Purpose.SUMMATIVE, Purpose.FORMATIVE, Purpose.HABIT_OF_WORK)


@dataclass(frozen=True, slots=True)
class DeepLinkAnswer:
    return_url: str
    token: str


def deep_link_form(session: Session, _args: Mapping[str, str]) -> DeepLinkForm:
    return DeepLinkForm(indicators=tuple(published_indicators(session)))


def resource_id_for(purpose: Purpose, indicator_ids: list[int]) -> str:
    return f"{RESOURCE_PREFIX}{purpose.value}:{'.'.join(str(i) for i in sorted(indicator_ids))}"


def parse_resource_id(resource_id: str) -> tuple[Purpose, list[int]] | None:
    """The purpose and indicator ids a deep-linked column carries, or None for any other column."""
    if not resource_id.startswith(RESOURCE_PREFIX):
        return None
    try:
        purpose_text, ids_text = resource_id[len(RESOURCE_PREFIX) :].split(":", 1)
        ids = [int(i) for i in ids_text.split(".") if i]
        return (Purpose(purpose_text), ids) if ids else None
    except ValueError:
        return None


def deep_link_items(
    session: Session,
    box: SecretBox,
    launch_session: LaunchSession,
    form: Mapping[str, Any],
    *,
    base_url: str,
) -> DeepLinkAnswer:
    """The signed answer for what the teacher chose; refuses an incomplete assessment."""
    settings = launch_session.claims.get("deep_linking_settings") or {}
    title = (form.get("title") or "Proficiency Bridge").strip()[:200] or "Proficiency Bridge"
    link = ContentLink(title=title, url=f"{base_url}/lti/launch")
    if form.get("kind") == "assessment":
        link = _assessment_link(session, form, title, base_url)
    platform = get_platform(session, launch_session.platform_id or 0)
    key = current_signing_key(session, box)
    token = deep_linking_response(
        key=key,
        client_id=platform.client_id,
        issuer=platform.issuer,
        deployment_id=launch_session.claims.get("deployment_id", ""),
        settings=settings,
        links=[link],
    )
    return DeepLinkAnswer(return_url=str(settings["deep_link_return_url"]), token=token)


def _assessment_link(session: Session, form: Mapping[str, Any], title: str, base_url: str) -> ContentLink:
    getlist = getattr(form, "getlist", None)
    raw_ids = getlist("indicator") if getlist else form.get("indicator", [])
    ids = sorted({int(i) for i in raw_ids if str(i).isdigit()})
    if not ids:
        raise ProficiencyBridgeError("choose at least one performance indicator for the new assessment")
    missing = sorted(set(ids) - set(indicator_catalogue(session, ids)))
    if missing:
        raise ProficiencyBridgeError(f"no performance indicator with id {missing}; choose from the list")
    try:
        purpose = Purpose(form.get("purpose", "summative"))
    except ValueError:
        raise ProficiencyBridgeError("purpose must be summative, formative or habit of work") from None
    try:
        points = Decimal(str(form.get("points") or "100"))
    except InvalidOperation:
        raise ProficiencyBridgeError("points possible must be a number, e.g. 100") from None
    if not points.is_finite() or points <= 0 or points > 100000:
        raise ProficiencyBridgeError("points possible must be above 0 (and at most 100000)")
    return ContentLink(
        title=title,
        url=f"{base_url}/lti/launch",
        score_maximum=float(points),
        resource_id=resource_id_for(purpose, ids),
        tag=ASSESSMENT_TAG,
    )


def adopt_deep_linked(
    session: Session,
    *,
    course_id: int,
    platform_id: int | None,
    line_items: list[tuple[str, str, str]],
    actor_id: int | None,
) -> int:
    """Align the columns made by deep linking that are not aligned yet; how many were.

    `line_items` are (line item id, label, resourceId) as AGS lists them.
    """
    aligned = {
        a.external_id for a in course_alignments(session, course_id) if a.kind is AlignmentKind.AGS_LINE_ITEM
    }
    adopted = 0
    for item_id, label, resource_id in line_items:
        parsed = parse_resource_id(resource_id)
        if parsed is None or item_id in aligned:
            continue
        purpose, ids = parsed
        known = sorted(indicator_catalogue(session, ids))
        if not known:
            continue
        save_alignment(
            session,
            course_id=course_id,
            kind=AlignmentKind.AGS_LINE_ITEM,
            external_id=item_id,
            indicator_ids=known,
            purpose=purpose,
            conversion=default_cut_scores(),
            platform_id=platform_id,
            title=label,
        )
        record_change(
            session,
            actor_id=actor_id,
            course_id=course_id,
            action="alignment saved",
            subject=f"new assessment '{label}'",
            detail="aligned when it was added to the course by deep linking",
        )
        adopted += 1
    return adopted
