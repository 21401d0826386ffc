"""NRPS memberships: page caps, role filter, Moodle's shapes, who is listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from sandbox import create_app, serve
from tests.sandbox.conftest import MEMBERS, NRPS_CLAIM, Platform, build_platform

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def _memberships_url(platform: Platform) -> str:
    url: str = platform.launch(platform.teacher)[NRPS_CLAIM]["context_memberships_url"]
    return url


def _get(platform: Platform, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return platform.http.get(url, headers={**headers, "Accept": MEMBERS})


def _next(link: str | None) -> str | None:
    found = re.search(r'<([^>]+)>; rel="next"', link or "")
    return found.group(1) if found else None


@pytest.fixture(params=[("canvas", 50), ("schoology", 100), ("generic", 100)])
def crowded(request: pytest.FixtureRequest) -> Iterator[tuple[Platform, int]]:
    platform = build_platform(request.param[0], students=120)
    with serve(create_app(platform.state)):
        yield platform, request.param[1]


def test_pages_are_capped_and_linked(crowded: tuple[Platform, int]) -> None:
    platform, cap = crowded
    headers = platform.bearer()
    url = _memberships_url(platform)
    sep = "&" if "?" in url else "?"
    page = _get(platform, f"{url}{sep}limit=500", headers)
    assert len(page.json()["members"]) == cap
    seen = [member["user_id"] for member in page.json()["members"]]
    nxt = _next(page.headers.get("Link"))
    while nxt:
        page = _get(platform, nxt, headers)
        seen += [member["user_id"] for member in page.json()["members"]]
        nxt = _next(page.headers.get("Link"))
    assert len(seen) == len(set(seen)) == 121


def test_a_member_looks_like_the_spec_says(generic: Platform) -> None:
    body = _get(generic, _memberships_url(generic), generic.bearer()).json()
    assert body["context"]["id"] == generic.course.context_id
    student = next(m for m in body["members"] if m["user_id"] == generic.students[0].sub)
    assert student["roles"] == [LEARNER]
    assert student["status"] == "Active"
    assert student["lis_person_sourcedid"] == "stu-0"
    assert student["name"] == generic.students[0].name


def test_role_filter_and_who_is_listed(canvas: Platform) -> None:
    canvas.state.set_enrollment_status(canvas.course.id, canvas.students[0].id, "Deleted")
    canvas.state.set_enrollment_status(canvas.course.id, canvas.students[1].id, "Inactive")
    headers = canvas.bearer()
    url = _memberships_url(canvas)
    learners = _get(canvas, f"{url}?role={quote(LEARNER, safe='')}", headers).json()["members"]
    assert [m["user_id"] for m in learners] == [s.sub for s in canvas.students[1:]]
    assert learners[0]["status"] == "Inactive"
    short = _get(canvas, f"{url}?role=Instructor", headers).json()["members"]
    assert [m["user_id"] for m in short] == [canvas.teacher.sub]


def test_moodle_shapes_and_its_next_link_drops_the_role() -> None:
    platform = build_platform("moodle", students=5)
    with serve(create_app(platform.state)):
        headers = platform.bearer()
        url = _memberships_url(platform)
        everyone = _get(platform, url, headers)
        assert "Link" not in everyone.headers and len(everyone.json()["members"]) == 6
        page = _get(platform, f"{url}?role=Learner&limit=2", headers)
        members = page.json()["members"]
        assert members[0]["roles"] == ["Learner"]
        assert members[0]["user_id"] == platform.students[0].id
        assert members[0]["lis_person_sourcedid"] == ""
        nxt = _next(page.headers["Link"])
        assert nxt is not None and "role=" not in nxt and "from=2" in nxt


def test_moodle_binding_must_be_the_tools_deployment(moodle: Platform) -> None:
    url = _memberships_url(moodle).replace("/bindings/1/", "/bindings/77/")
    assert _get(moodle, url, moodle.bearer()).status_code == 403
