"""Score publishing rules per flavour: timestamps, who may be scored, rescaling, clearing."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.conftest import RESULTS, Platform, service_url


def _result(platform: Platform, item: dict, headers: dict[str, str], sub: str) -> dict:
    url = service_url(item["id"], "/results")
    sep = "&" if "?" in url else "?"
    found = platform.http.get(f"{url}{sep}user_id={sub}", headers={**headers, "Accept": RESULTS})
    results = found.json()
    assert len(results) == 1
    return results[0]


@pytest.fixture
def scoring(platform: Platform) -> tuple[Platform, dict, dict[str, str], str]:
    headers = platform.bearer()
    return platform, platform.create_line_item(headers), headers, platform.students[0].sub


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"userId": None}, "userId"),
        ({"activityProgress": "Done"}, "activityProgress"),
        ({"gradingProgress": "Graded"}, "gradingProgress"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "2025-10-01 10:00"}, "timestamp"),
        ({"scoreGiven": -1}, "scoreGiven"),
        ({"scoreGiven": 3, "scoreMaximum": None}, "scoreMaximum"),
        ({"scoreMaximum": 0}, "scoreMaximum"),
        ({"comment": 12}, "comment"),
    ],
)
def test_malformed_scores_are_400(generic: Platform, body: dict, complaint: str) -> None:
    headers = generic.bearer()
    item = generic.create_line_item(headers)
    response = generic.post_score(item["id"], headers, **({"userId": generic.students[0].sub} | body))
    assert response.status_code == 400
    assert complaint in response.json()["error_description"]
    assert generic.state.grades.all_scores() == []


def test_not_a_number_is_not_a_score(generic: Platform) -> None:
    headers = generic.bearer()
    item = generic.create_line_item(headers)
    score = json.dumps(
        {
            "userId": generic.students[0].sub,
            "scoreMaximum": 4,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": "2025-10-01T10:00:00Z",
        }
    )
    body = score.replace('"scoreMaximum"', '"scoreGiven": NaN, "scoreMaximum"')
    response = generic.http.post(
        service_url(item["id"], "/scores"),
        content=body.encode(),
        headers={**headers, "Content-Type": "application/vnd.ims.lis.v1.score+json"},
    )
    assert response.status_code == 400
    assert generic.state.grades.all_scores() == []


def test_answers_per_flavour(scoring: tuple[Platform, dict, dict[str, str], str]) -> None:
    platform, item, headers, sub = scoring
    response = platform.post_score(item["id"], headers, userId=sub, comment="Meets on 3 of 4")
    flavour = platform.state.flavour.name
    expected = {"canvas": 200, "moodle": 200, "schoology": 204, "generic": 204}[flavour]
    assert response.status_code == expected
    if flavour == "canvas":
        assert "/results/" in response.json()["resultUrl"]
    if flavour == "moodle":
        assert response.content == b""
    result = _result(platform, item, headers, sub)
    assert result["resultScore"] == 3 and result["comment"] == "Meets on 3 of 4"


def test_every_accepted_score_is_kept_in_history(generic: Platform) -> None:
    headers = generic.bearer()
    item = generic.create_line_item(headers)
    sub = generic.students[0].sub
    for second, given in enumerate((1, 2, 4)):
        stamp = f"2025-10-01T10:00:0{second}Z"
        assert (
            generic.post_score(item["id"], headers, userId=sub, scoreGiven=given, timestamp=stamp).status_code
            == 204
        )
    history = generic.state.grades.score_history(
        generic.state.grades.line_items(generic.course.id)[0].id, sub
    )
    assert [score.score_given for score in history] == [1, 2, 4]


def test_canvas_timestamps_older_is_400_equal_is_fine(canvas: Platform) -> None:
    headers = canvas.bearer()
    item = canvas.create_line_item(headers)
    sub = canvas.students[0].sub
    assert canvas.post_score(item["id"], headers, userId=sub).status_code == 200
    assert canvas.post_score(item["id"], headers, userId=sub).status_code == 200
    older = canvas.post_score(item["id"], headers, userId=sub, timestamp="2025-10-01T09:59:59Z")
    assert older.status_code == 400
    assert "before last updated" in older.json()["errors"]["message"]


def test_moodle_same_second_is_409_with_empty_list(moodle: Platform) -> None:
    headers = moodle.bearer()
    item = moodle.create_line_item(headers)
    sub = moodle.students[0].sub
    first = moodle.post_score(item["id"], headers, userId=sub, timestamp="2025-10-01T10:00:00.100Z")
    assert first.status_code == 200
    same = moodle.post_score(item["id"], headers, userId=sub, timestamp="2025-10-01T10:00:00.900Z")
    assert same.status_code == 409 and same.text == "[]"
    later = moodle.post_score(item["id"], headers, userId=sub, timestamp="2025-10-01T10:00:01Z")
    assert later.status_code == 200


def test_generic_refuses_a_timestamp_that_is_not_newer(generic: Platform) -> None:
    headers = generic.bearer()
    item = generic.create_line_item(headers)
    sub = generic.students[0].sub
    assert generic.post_score(item["id"], headers, userId=sub).status_code == 204
    assert generic.post_score(item["id"], headers, userId=sub).status_code == 409


def test_who_may_be_scored(platform: Platform) -> None:
    headers = platform.bearer()
    item = platform.create_line_item(headers)
    teacher = platform.post_score(item["id"], headers, userId=platform.teacher.sub)
    unknown = platform.post_score(item["id"], headers, userId="nobody")
    expected = 422 if platform.state.flavour.name == "canvas" else 400
    assert teacher.status_code == expected and unknown.status_code == expected


def test_canvas_score_maximum_without_score_given_is_422(canvas: Platform) -> None:
    headers = canvas.bearer()
    item = canvas.create_line_item(headers)
    response = canvas.post_score(item["id"], headers, userId=canvas.students[0].sub, scoreGiven=None)
    assert response.status_code == 422


def test_moodle_rescales_and_clamps(moodle: Platform) -> None:
    headers = moodle.bearer()
    item = moodle.create_line_item(headers, scoreMaximum=10)
    sub = moodle.students[0].sub
    moodle.post_score(item["id"], headers, userId=sub, scoreGiven=3, scoreMaximum=4)
    assert _result(moodle, item, headers, sub)["resultScore"] == 7.5
    moodle.post_score(
        item["id"], headers, userId=sub, scoreGiven=6, scoreMaximum=4, timestamp="2025-10-02T10:00:00Z"
    )
    result = _result(moodle, item, headers, sub)
    assert result["resultScore"] == 10 and result["resultMaximum"] == 10


def test_moodle_anything_but_fully_graded_clears_the_grade(moodle: Platform) -> None:
    headers = moodle.bearer()
    item = moodle.create_line_item(headers)
    sub = moodle.students[0].sub
    moodle.post_score(item["id"], headers, userId=sub)
    moodle.post_score(
        item["id"], headers, userId=sub, gradingProgress="Pending", timestamp="2025-10-02T10:00:00Z"
    )
    assert set(_result(moodle, item, headers, sub)) == {"id", "userId"}


def test_canvas_keeps_the_score_as_posted_others_rescale(platform: Platform) -> None:
    headers = platform.bearer()
    item = platform.create_line_item(headers, scoreMaximum=4)
    sub = platform.students[0].sub
    platform.post_score(item["id"], headers, userId=sub, scoreGiven=50, scoreMaximum=100)
    result = _result(platform, item, headers, sub)
    if platform.state.flavour.name == "canvas":
        assert (result["resultScore"], result["resultMaximum"]) == (50, 100)
    else:
        assert (result["resultScore"], result["resultMaximum"]) == (2, 4)


def test_a_score_without_score_given_clears_it(generic: Platform) -> None:
    headers = generic.bearer()
    item = generic.create_line_item(headers)
    sub = generic.students[0].sub
    generic.post_score(item["id"], headers, userId=sub)
    cleared = generic.post_score(
        item["id"],
        headers,
        userId=sub,
        scoreGiven=None,
        scoreMaximum=None,
        activityProgress="Initialized",
        gradingProgress="NotReady",
        timestamp="2025-10-02T10:00:00Z",
    )
    assert cleared.status_code == 204
    assert "resultScore" not in _result(generic, item, headers, sub)


def test_canvas_submission_extension_is_kept(canvas: Platform) -> None:
    headers = canvas.bearer()
    item = canvas.create_line_item(headers)
    extension = {"new_submission": True, "submission_type": "basic_lti_launch"}
    response = canvas.post_score(
        item["id"],
        headers,
        userId=canvas.students[0].sub,
        **{"https://canvas.instructure.com/lti/submission": extension},
    )
    assert response.status_code == 200
    assert canvas.state.grades.all_scores()[0].submission == extension
