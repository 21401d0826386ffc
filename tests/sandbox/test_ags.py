"""AGS line items and results: ownership, validation, filters, paging per flavour."""

from __future__ import annotations

import re

import pytest

from sandbox import create_app, serve
from tests.sandbox.conftest import (
    CONTAINER,
    LINEITEM,
    RESULTS,
    Platform,
    build_platform,
    service_url,
)


def _seed_items(platform: Platform, count: int, client_id: str = "tool-1") -> None:
    for number in range(count):
        platform.state.grades.add_line_item(
            course_id=platform.course.id,
            label=f"Item {number}",
            score_maximum=4.0,
            owner_client_id=client_id,
            deployment_id="1",
            tag="odd" if number % 2 else "even",
        )


def _list(platform: Platform, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return platform.http.get(url, headers={**headers, "Accept": CONTAINER})


def test_create_read_update_delete(platform: Platform) -> None:
    headers = platform.bearer()
    created = platform.create_line_item(headers, resourceId="MA.1", tag="proficiency")
    assert created["label"] == "Indicator A.1" and created["scoreMaximum"] == 4
    assert created["resourceId"] == "MA.1" and created["tag"] == "proficiency"
    read = platform.http.get(created["id"], headers={**headers, "Accept": LINEITEM})
    assert read.status_code == 200 and read.json() == created
    changed = platform.http.put(
        created["id"],
        json={"label": "Renamed", "scoreMaximum": 4, "resourceId": "MA.1", "tag": "proficiency"},
        headers={**headers, "Content-Type": LINEITEM},
    )
    assert changed.status_code == 200 and changed.json()["label"] == "Renamed"
    assert platform.http.delete(created["id"], headers=headers).status_code == 204
    assert platform.http.get(created["id"], headers={**headers, "Accept": LINEITEM}).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"scoreMaximum": 4},
        {"label": "", "scoreMaximum": 4},
        {"label": "x"},
        {"label": "x", "scoreMaximum": 0},
        {"label": "x", "scoreMaximum": "4"},
        {"label": "x", "scoreMaximum": 4, "startDateTime": "next tuesday"},
        {"label": "x", "scoreMaximum": 4, "resourceLinkId": "no-such-link"},
    ],
)
def test_invalid_line_items_are_refused(generic: Platform, body: dict) -> None:
    response = generic.http.post(
        generic.line_items_url(), json=body, headers={**generic.bearer(), "Content-Type": LINEITEM}
    )
    assert response.status_code == 400
    assert generic.state.grades.line_items(generic.course.id) == []


def test_a_tool_sees_only_its_own_line_items(canvas: Platform) -> None:
    _seed_items(canvas, 3, client_id="someone-else")
    headers = canvas.bearer()
    mine = canvas.create_line_item(headers)
    listed = _list(canvas, canvas.line_items_url(), headers).json()
    assert [item["id"] for item in listed] == [mine["id"]]
    foreign = canvas.state.grades.line_items(canvas.course.id, "someone-else")[0]
    foreign_url = mine["id"].rsplit("/", 1)[0] + "/" + foreign.id
    assert canvas.http.get(foreign_url, headers={**headers, "Accept": LINEITEM}).status_code == 404


def test_filters(generic: Platform) -> None:
    _seed_items(generic, 4)
    headers = generic.bearer()
    link = generic.state.add_resource_link(course_id=generic.course.id, client_id="tool-1", title="Q")
    generic.create_line_item(headers, resourceId="R-9", resourceLinkId=link.id)
    url = generic.line_items_url()
    tagged = _list(generic, url + "?tag=odd", headers).json()
    assert [item["label"] for item in tagged] == ["Item 1", "Item 3"]
    assert len(_list(generic, url + "?resource_id=R-9", headers).json()) == 1
    by_link = _list(generic, f"{url}?resource_link_id={link.id}", headers).json()
    assert [item["resourceLinkId"] for item in by_link] == [link.id]


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_canvas_pages_default_to_10_and_cap_at_50(canvas: Platform) -> None:
    _seed_items(canvas, 57)
    headers = canvas.bearer()
    first = _list(canvas, canvas.line_items_url(), headers)
    assert len(first.json()) == 10
    links = _links(first.headers["Link"])
    assert {"current", "next", "first", "last"} <= set(links)
    big = _list(canvas, canvas.line_items_url() + "?limit=100", headers)
    assert len(big.json()) == 50
    second = _list(canvas, _links(big.headers["Link"])["next"], headers)
    assert len(second.json()) == 7 and "next" not in _links(second.headers["Link"])
    seen = [item["label"] for item in big.json() + second.json()]
    assert seen == [f"Item {n}" for n in range(57)]


def test_schoology_and_generic_page_with_limit_and_page(schoology: Platform) -> None:
    _seed_items(schoology, 5)
    headers = schoology.bearer()
    page = _list(schoology, schoology.line_items_url() + "?limit=2", headers)
    labels = [item["label"] for item in page.json()]
    url = _links(page.headers["Link"]).get("next")
    while url:
        page = _list(schoology, url, headers)
        labels += [item["label"] for item in page.json()]
        url = _links(page.headers["Link"]).get("next")
    assert labels == [f"Item {n}" for n in range(5)]


def test_moodle_pages_only_with_limit_and_its_link_header_is_malformed(moodle: Platform) -> None:
    _seed_items(moodle, 7)
    headers = moodle.bearer()
    everything = _list(moodle, moodle.line_items_url(), headers)
    assert len(everything.json()) == 7 and "Link" not in everything.headers
    page = _list(moodle, moodle.line_items_url() + "&limit=3", headers)
    assert len(page.json()) == 3
    link = page.headers["Link"]
    assert "rel=“next”" in link and 'rel="next"' not in link
    assert "&amp;" in link
    nxt = re.search(r"<([^>]+)>; rel=“next”", link).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "type_id=1" in nxt and "from=3" in nxt
    assert [item["label"] for item in _list(moodle, nxt, headers).json()] == ["Item 3", "Item 4", "Item 5"]


def test_moodle_line_item_shape(moodle: Platform) -> None:
    created = moodle.create_line_item(moodle.bearer())
    assert created["id"].endswith("/lineitem?type_id=1")
    headers = moodle.bearer()
    read = moodle.http.get(created["id"], headers={**headers, "Accept": LINEITEM}).json()
    assert read["resourceId"] == "" and read["tag"] == ""


def test_moodle_refuses_star_accept_and_wrong_content_type(moodle: Platform) -> None:
    headers = moodle.bearer()
    assert moodle.http.get(moodle.line_items_url(), headers={**headers, "Accept": "*/*"}).status_code == 400
    wrong = moodle.http.post(moodle.line_items_url(), json={"label": "x", "scoreMaximum": 1}, headers=headers)
    assert wrong.status_code == 400


def test_moodle_unknown_resource_link_is_403(moodle: Platform) -> None:
    response = moodle.http.post(
        moodle.line_items_url(),
        json={"label": "x", "scoreMaximum": 1, "resourceLinkId": "999"},
        headers={**moodle.bearer(), "Content-Type": LINEITEM},
    )
    assert response.status_code == 403


def test_generic_content_negotiation(generic: Platform) -> None:
    headers = generic.bearer()
    assert _list(generic, generic.line_items_url(), headers).status_code == 200
    odd = generic.http.get(generic.line_items_url(), headers={**headers, "Accept": "text/csv"})
    assert odd.status_code == 406
    plain = generic.http.post(
        generic.line_items_url(), content=b"label=x", headers={**headers, "Content-Type": "text/plain"}
    )
    assert plain.status_code == 415


def _score(platform: Platform, item_id: str, user_sub: str, given: float) -> None:
    response = platform.post_score(item_id, platform.bearer(), userId=user_sub, scoreGiven=given)
    assert response.status_code in (200, 204), response.text


def test_results_with_user_filter_and_moodle_limit_404(platform: Platform) -> None:
    headers = platform.bearer()
    item = platform.create_line_item(headers)
    for number, student in enumerate(platform.students):
        _score(platform, item["id"], student.sub, number)
    url = service_url(item["id"], "/results")
    results = platform.http.get(url, headers={**headers, "Accept": RESULTS}).json()
    assert len(results) == len(platform.students)
    assert all(result["scoreOf"] == item["id"] for result in results)
    wanted = platform.students[2].sub
    sep = "&" if "?" in url else "?"
    one = platform.http.get(f"{url}{sep}user_id={wanted}", headers={**headers, "Accept": RESULTS})
    assert [result["userId"] for result in one.json()] == [wanted]
    limited = platform.http.get(f"{url}{sep}limit=2", headers={**headers, "Accept": RESULTS})
    if platform.state.flavour.name == "moodle":
        assert limited.status_code == 404
        assert limited.headers["content-type"].startswith("text/html")
    else:
        assert limited.status_code == 200 and len(limited.json()) == 2
        assert "next" in _links(limited.headers["Link"])


def test_canvas_results_cap_at_50() -> None:
    platform = build_platform("canvas", students=55)
    with serve(create_app(platform.state)):
        headers = platform.bearer()
        item = platform.create_line_item(headers)
        for student in platform.students:
            _score(platform, item["id"], student.sub, 3)
        url = service_url(item["id"], "/results") + "?limit=200"
        page = platform.http.get(url, headers={**headers, "Accept": RESULTS})
        assert len(page.json()) == 50
