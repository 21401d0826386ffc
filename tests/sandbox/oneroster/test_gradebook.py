from __future__ import annotations

import copy

import pytest

from sandbox.oneroster import OneRosterState, create_app, seed_district, seed_gradebook_category
from tests.bridge.oneroster.openapi import assert_valid
from tests.sandbox.oneroster.conftest import GRADEBOOK, ROSTER, Sis

HREF = "https://sis.test/x"
LINE_ITEM = {
    "lineItem": {
        "sourcedId": "li-1",
        "status": "active",
        "dateLastModified": "2025-09-01T00:00:00.000Z",
        "title": "MATH.1 Number sense",
        "assignDate": "2025-08-15T00:00:00.000Z",
        "dueDate": "2026-01-20T00:00:00.000Z",
        "class": {"href": HREF, "sourcedId": "cls-00000", "type": "class"},
        "school": {"href": HREF, "sourcedId": "org-000", "type": "org"},
        "category": {"href": HREF, "sourcedId": "cat-1", "type": "category"},
        "resultValueMin": 1.0,
        "resultValueMax": 4.0,
        "learningObjectiveSet": [
            {"source": "case", "learningObjectiveIds": ["3f1c8a0e-6b1d-4e0b-9d0a-5b7a1c2d3e4f"]}
        ],
    }
}
RESULT = {
    "result": {
        "sourcedId": "r-1",
        "status": "active",
        "dateLastModified": "2025-09-01T00:00:00.000Z",
        "lineItem": {"href": HREF, "sourcedId": "li-1", "type": "lineItem"},
        "student": {"href": HREF, "sourcedId": "usr-000000", "type": "user"},
        "scoreStatus": "fully graded",
        "score": 3.0,
        "scoreDate": "2025-09-01",
        "inProgress": "false",
    }
}


@pytest.fixture
def gradebook(sis):
    seed_gradebook_category(sis.state)
    return sis


def test_put_line_item_and_result_then_read_them_as_the_schema_says(gradebook):
    assert gradebook.http.put(f"{GRADEBOOK}/lineItems/li-1", json=LINE_ITEM).status_code == 201
    assert gradebook.http.put(f"{GRADEBOOK}/results/r-1", json=RESULT).status_code == 201
    items = gradebook.get(f"{GRADEBOOK}/classes/cls-00000/lineItems").json()
    assert_valid("gradebook", "LineItemSetDType", items)
    results = gradebook.get(f"{GRADEBOOK}/classes/cls-00000/results").json()
    assert_valid("gradebook", "ResultSetDType", results)
    assert [r["score"] for r in results["results"]] == [3.0]
    single = gradebook.get(f"{GRADEBOOK}/results/r-1").json()
    assert_valid("gradebook", "SingleResultDType", single)


def test_put_is_idempotent_by_sourced_id(gradebook):
    for _ in range(3):
        gradebook.http.put(f"{GRADEBOOK}/lineItems/li-1", json=LINE_ITEM)
    assert gradebook.state.count("lineItems") == 1


def _broken(body, path, value):
    broken = copy.deepcopy(body)
    target = broken[next(iter(broken))]
    *parents, last = path
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return broken


@pytest.mark.parametrize(
    ("body", "path", "value", "message"),
    [
        (RESULT, ["inProgress"], False, 'inProgress: must be the string "true" or "false"'),
        (RESULT, ["scoreDate"], "2025-09-01T00:00:00Z", "YYYY-MM-DD date"),
        (RESULT, ["scoreStatus"], "graded", "not a scoreStatus"),
        (RESULT, ["student"], KeyError, "required member(s) missing: student"),
        (RESULT, ["extra"], 1, "unknown member(s): extra"),
        (RESULT, ["student", "type"], "person", "must be 'user'"),
        (RESULT, ["sourcedId"], "r-2", "differs from the sourcedId in the URL"),
        (LINE_ITEM, ["school"], KeyError, "school"),
        (
            LINE_ITEM,
            ["learningObjectiveSet", 0, "learningObjectiveIds"],
            ["MATH.1"],
            "a CASE identifier must be a UUID",
        ),
        (LINE_ITEM, ["learningObjectiveSet", 0, "source"], "CASE", "is not 'case'"),
        (LINE_ITEM, ["assignDate"], "2025-08-15", "date-time with a time zone"),
    ],
)
def test_strict_validation_refuses_with_the_member_path(gradebook, body, path, value, message):
    gradebook.http.put(f"{GRADEBOOK}/lineItems/li-1", json=LINE_ITEM)
    kind = next(iter(body))
    url = f"{GRADEBOOK}/{'results/r-1' if kind == 'result' else 'lineItems/li-1'}"
    before = copy.deepcopy(gradebook.state.records)
    response = gradebook.http.put(url, json=_broken(body, path, value))
    assert response.status_code == 400, response.text
    assert message in response.json()["imsx_description"]
    assert gradebook.state.records == before


def test_references_must_exist(gradebook):
    response = gradebook.http.put(f"{GRADEBOOK}/results/r-1", json=RESULT)
    assert response.status_code == 422
    assert "no lineItem with sourcedId 'li-1'" in response.json()["imsx_description"]


def test_delete_and_missing(gradebook):
    gradebook.http.put(f"{GRADEBOOK}/lineItems/li-1", json=LINE_ITEM)
    assert gradebook.http.delete(f"{GRADEBOOK}/lineItems/li-1").status_code == 204
    assert gradebook.http.delete(f"{GRADEBOOK}/lineItems/li-1").status_code == 404


def test_version_1_1_serves_one_base_path_and_users_with_role_and_orgs():
    state = OneRosterState(version="1.1")
    state.add_client("pb", "secret")
    seed_district(state)
    sis = Sis(state)
    user = sis.get("/ims/oneroster/v1p1/users/usr-000001").json()["user"]
    assert user["role"] == "student" and "roles" not in user
    assert user["orgs"][0]["sourcedId"] == "org-001"
    assert sis.get(f"{ROSTER}/users").status_code == 404
    seed_gradebook_category(state)
    body = copy.deepcopy(LINE_ITEM)
    del body["lineItem"]["school"], body["lineItem"]["learningObjectiveSet"]
    refused = sis.http.put("/ims/oneroster/v1p1/lineItems/li-1", json=body)
    assert refused.status_code == 400 and "gradingPeriod" in refused.text
    body["lineItem"]["gradingPeriod"] = {"href": HREF, "sourcedId": "ses-gp1", "type": "academicSession"}
    assert sis.http.put("/ims/oneroster/v1p1/lineItems/li-1", json=body).status_code == 201


def test_create_app_keeps_the_state_for_the_demo():
    state = OneRosterState()
    assert create_app(state).extensions["oneroster.state"] is state
