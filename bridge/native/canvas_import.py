"""A course's or account's Canvas outcomes read as a framework, so a district starts from them.

    GET /api/v1/{courses|accounts}/:id/root_outcome_group
    GET /api/v1/{courses|accounts}/:id/outcome_groups/:id/subgroups           (the tree, walked)
    GET /api/v1/{courses|accounts}/:id/outcome_groups/:id/outcomes?outcome_style=full

Canvas keeps groups nested at will; our frameworks have three tiers. So each group directly
under the root becomes a content area, each group (at any depth below it) that holds outcomes
becomes a standard of that area, and each outcome an indicator (outcomes in the root itself
make an area and standard named after the context). An outcome's `vendor_guid` is kept as its
code when it is one (the bridge's own mirrored outcomes come back with our codes); every
other code is made from the position (`CODE.1`, `CODE.1.2`, `CODE.1.2.PI.3`). Canvas rates
each outcome on its own ratings; a framework has one scale, so the ratings most outcomes
share become the scale ("meets" at their mastery points) and the others are named.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bridge.context import Bridge
from bridge.lms_api.canvas import CanvasClient
from bridge.lms_api.canvas_oauth import StaticToken
from bridge.lms_api.connection import api_base_url
from bridge.lms_api.errors import LmsNotConnected
from bridge.native.canvas_outcomes import pages, request
from mappings.framework import (
    CODE_MAX,
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    PerformanceIndicator,
    build_scale,
)
from mappings.scale import Level, Scale
from pbridge.errors import FrameworkImportError
from store.lms_credentials import open_credentials
from store.people import Course
from store.platforms import Platform, Preset

#: Canvas caps nothing, but a tree deeper than this is a cycle or a mistake
MAX_DEPTH = 20


@dataclass(frozen=True)
class CanvasOutcome:
    id: str
    title: str
    description: str
    vendor_guid: str
    #: (points, description), highest first as Canvas lists them
    ratings: tuple[tuple[Decimal, str], ...]
    mastery_points: Decimal | None


@dataclass(frozen=True)
class CanvasGroup:
    id: str
    title: str
    outcomes: tuple[CanvasOutcome, ...]
    subgroups: tuple[CanvasGroup, ...]


@dataclass(frozen=True)
class ImportedOutcomes:
    """The framework made from Canvas, and what of Canvas's did not fit into it."""

    document: FrameworkDocument
    notices: tuple[str, ...]


def read_outcome_tree(client: CanvasClient, context: str) -> CanvasGroup:
    """The context's whole outcome tree (`context` is `courses/ID` or `accounts/ID`)."""
    base = f"/{context}"
    root = request(client, "GET", f"{base}/root_outcome_group").json()
    return _group(client, base, root, depth=0)


def _group(client: CanvasClient, base: str, data: dict[str, Any], *, depth: int) -> CanvasGroup:
    group_id = str(data["id"])
    if depth > MAX_DEPTH:
        raise FrameworkImportError(f"Canvas outcome group {group_id} is nested more than {MAX_DEPTH} deep")
    links = pages(client, f"{base}/outcome_groups/{group_id}/outcomes", [("outcome_style", "full")])
    children = pages(client, f"{base}/outcome_groups/{group_id}/subgroups", [])
    return CanvasGroup(
        id=group_id,
        title=str(data.get("title") or "").strip() or f"Outcome group {group_id}",
        outcomes=tuple(_outcome(link["outcome"]) for link in links),
        subgroups=tuple(_group(client, base, child, depth=depth + 1) for child in children),
    )


def _outcome(data: dict[str, Any]) -> CanvasOutcome:
    outcome_id = str(data["id"])
    ratings = []
    for rating in data.get("ratings") or ():
        ratings.append((_number(rating.get("points"), f"a rating of outcome {outcome_id}"), _text(rating)))
    mastery = data.get("mastery_points")
    return CanvasOutcome(
        id=outcome_id,
        title=str(data.get("title") or data.get("display_name") or "").strip() or f"Outcome {outcome_id}",
        description=str(data.get("description") or ""),
        vendor_guid=str(data.get("vendor_guid") or "").strip(),
        ratings=tuple(sorted(ratings, reverse=True)),
        mastery_points=None
        if mastery is None
        else _number(mastery, f"mastery points of outcome {outcome_id}"),
    )


def _text(rating: dict[str, Any]) -> str:
    return str(rating.get("description") or "").strip() or f"{rating.get('points')} points"


def _number(raw: Any, what: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise FrameworkImportError(f"{what} is {raw!r}, not a number; fix it in Canvas") from None
    if not value.is_finite():
        raise FrameworkImportError(f"{what} is {raw!r}, not a number; fix it in Canvas")
    return value.normalize() if value == value.to_integral_value() else value


def outcomes_framework(tree: CanvasGroup, *, code: str, title: str) -> ImportedOutcomes:
    """The framework the outcome tree makes (see the module's docstring); refuses an empty tree.

    Raises `FrameworkImportError` naming the outcome when its ratings cannot make a scale.
    """
    codes = _Codes(code)
    seen: set[str] = set()
    areas: list[ContentArea] = []
    outcomes: list[CanvasOutcome] = []
    if tree.outcomes:
        areas.append(_area(codes, tree.title, [tree], seen, outcomes))
    for top in tree.subgroups:
        held = [g for g in _walk(top) if g.outcomes]
        if held:
            areas.append(_area(codes, top.title, held, seen, outcomes))
    if not outcomes:
        raise FrameworkImportError(f"{tree.title} has no outcomes in Canvas; there is nothing to import")
    scale, others = _scale(outcomes)
    notices: tuple[str, ...] = ()
    if others:
        named = ", ".join(o.title for o in others[:5]) + (" …" if len(others) > 5 else "")
        notices = (
            f"{len(others)} outcome(s) rate on other levels than most ({named}); the framework "
            f"has one scale, {' · '.join(level.label for level in scale.levels)}",
        )
    document = FrameworkDocument(code=code, title=title, scale=scale, content_areas=tuple(areas))
    return ImportedOutcomes(document, notices)


def _walk(group: CanvasGroup) -> list[CanvasGroup]:
    return [group, *(g for child in group.subgroups for g in _walk(child))]


def _area(
    codes: _Codes, title: str, groups: list[CanvasGroup], seen: set[str], outcomes: list[CanvasOutcome]
) -> ContentArea:
    area_code = codes.derived(codes.root)
    standards = []
    for group in groups:
        standard_code = codes.derived(area_code)
        indicators = []
        for outcome in group.outcomes:
            if outcome.id in seen:  # one outcome linked into several groups: its first place
                continue
            seen.add(outcome.id)
            outcomes.append(outcome)
            indicators.append(
                PerformanceIndicator(
                    code=codes.kept(outcome.vendor_guid) or codes.derived(f"{standard_code}.PI"),
                    title=outcome.title[:1000],
                    description=outcome.description,
                )
            )
        if indicators:
            standards.append(
                GraduationStandard(standard_code, group.title[:1000], indicators=tuple(indicators))
            )
    return ContentArea(area_code, title[:500], standards=tuple(standards))


class _Codes:
    """Codes unique in the framework: kept from Canvas where usable, else numbered by position."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.used: set[str] = set()
        self.counters: Counter[str] = Counter()

    def kept(self, guid: str) -> str | None:
        usable = guid and len(guid) <= CODE_MAX and guid.isprintable() and " " not in guid
        if not usable or guid.startswith("pbridge:") or guid in self.used:
            return None
        self.used.add(guid)
        return guid

    def derived(self, parent: str) -> str:
        while True:
            self.counters[parent] += 1
            code = f"{parent}.{self.counters[parent]}"
            if code not in self.used:
                self.used.add(code)
                return code


def _scale(outcomes: list[CanvasOutcome]) -> tuple[Scale, list[CanvasOutcome]]:
    """The ratings most outcomes share as the scale; the outcomes that rate otherwise."""
    rated = [o for o in outcomes if o.ratings]
    if not rated:
        raise FrameworkImportError(
            "no Canvas outcome has ratings; give the outcomes ratings (or use the account's "
            "mastery scale) in Canvas and import again"
        )
    shared, _ = Counter((o.ratings, o.mastery_points) for o in rated).most_common(1)[0]
    ratings, mastery = shared
    example = next(o for o in rated if (o.ratings, o.mastery_points) == shared)
    values = sorted(points for points, _ in ratings)
    at_or_above = [v for v in values if mastery is None or v >= mastery]
    if not at_or_above:
        raise FrameworkImportError(
            f"the mastery points ({mastery}) of outcome '{example.title}' are above its highest rating; "
            "fix the outcome in Canvas"
        )
    try:
        scale = build_scale(
            tuple(Level(points, label) for points, label in ratings), meets=at_or_above[0], half_points=False
        )
    except FrameworkImportError as error:
        raise FrameworkImportError(f"the ratings of outcome '{example.title}': {error}") from None
    return scale, [o for o in outcomes if (o.ratings, o.mastery_points) != shared]


def platform_client(bridge: Bridge, platform_id: int) -> CanvasClient:
    """A Canvas client of a platform acting with its admin token (outcomes outside any course).

    Raises `LmsNotConnected` naming the command that enters what is missing.
    """
    with bridge.database.begin() as session:
        platform = session.get(Platform, platform_id)
        if platform is None or platform.preset is not Preset.CANVAS:
            raise LmsNotConnected(
                f"platform {platform_id} is not a Canvas registration; see `pbridge platform list`"
            )
        secrets = open_credentials(session, bridge.secret_box, platform_id)
        domain = session.scalar(
            select(Course.lms_api_domain)
            .where(Course.platform_id == platform_id, Course.lms_api_domain.is_not(None))
            .limit(1)
        )
        session.expunge(platform)
    if secrets is None or not secrets.token:
        raise LmsNotConnected(
            f"reading Canvas outcomes needs an admin token for platform {platform_id}: enter one with "
            f"`pbridge lms connect canvas --platform {platform_id} --admin-token`"
        )
    base_url = api_base_url(Preset.CANVAS, secrets, platform, domain)
    return CanvasClient(bridge.platform_http(platform), base_url, StaticToken(secrets.token))
