from __future__ import annotations

import pytest

from bridge.paging import parse_links
from sandbox.oneroster import FaultRule
from tests.bridge.oneroster.openapi import assert_valid
from tests.sandbox.oneroster.conftest import GRADEBOOK, OR12, ROSTER

SETS = {
    "orgs": "OrgSetDType",
    "academicSessions": "AcademicSessionSetDType",
    "courses": "CourseSetDType",
    "classes": "ClassSetDType",
    "users": "UserSetDType",
    "enrollments": "EnrollmentSetDType",
    "demographics": "DemographicsSetDType",
}


@pytest.mark.parametrize("collection", sorted(SETS))
def test_every_roster_collection_answers_what_the_official_schema_describes(sis, collection):
    response = sis.get(f"{ROSTER}/{collection}", limit=1000)
    assert response.status_code == 200
    assert_valid("rostering", SETS[collection], response.json())
    assert int(response.headers["X-Total-Count"]) == sis.state.count(collection)
    hrefs = [v["href"] for r in response.json()[collection] for v in r.values() if isinstance(v, dict)]
    assert all(h.startswith(f"https://sis.test{ROSTER}/") for h in hrefs)


def test_single_records_validate_and_unknown_ones_are_404_status_info(sis):
    response = sis.get(f"{ROSTER}/users/usr-000001")
    assert_valid("rostering", "SingleUserDType", response.json())
    missing = sis.get(f"{ROSTER}/users/nobody")
    assert missing.status_code == 404
    assert_valid("rostering", "imsx_StatusInfoDType", missing.json())
    assert missing.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
        "unknownobject"
    )


def test_paging_gives_total_and_links_to_walk_every_record_once(sis):
    seen: list[str] = []
    url = f"{ROSTER}/users?limit=7&offset=0"
    while url:
        response = sis.http.get(url)
        seen += [u["sourcedId"] for u in response.json()["users"]]
        links = parse_links(response.headers["Link"])
        assert "first" in links and "last" in links
        url = links.get("next")
    assert len(seen) == len(set(seen)) == 40


def test_limit_is_capped_by_the_server(sis):
    sis.state.max_limit = 5
    response = sis.get(f"{ROSTER}/users", limit=1000)
    assert len(response.json()["users"]) == 5
    assert response.headers["X-Total-Count"] == "40"


def test_delta_filter_returns_only_records_changed_since(sis):
    sis.state.touch("users", "usr-000003", givenName="Changed")
    sis.state.mark_deleted("users", "usr-000004")
    response = sis.get(f"{ROSTER}/users", filter="dateLastModified>'2025-08-01T00:00:00.000Z'")
    changed = {u["sourcedId"]: u for u in response.json()["users"]}
    assert set(changed) == {"usr-000003", "usr-000004"}
    assert changed["usr-000004"]["status"] == "tobedeleted"


def test_filter_with_or_and_not_equal(sis):
    response = sis.get(f"{ROSTER}/orgs", filter="type='district' OR identifier='S001'")
    assert {o["sourcedId"] for o in response.json()["orgs"]} == {"org-district", "org-000"}
    response = sis.get(f"{ROSTER}/enrollments", filter="role!='student' AND class='cls-00001'")
    assert [e["sourcedId"] for e in response.json()["enrollments"]] == ["enr-t00001"]


def test_bad_filter_field_and_selection_are_400_with_their_code(sis):
    response = sis.get(f"{ROSTER}/users", filter="shoeSize='9'")
    assert response.status_code == 400
    assert "invalid_filter_field" in response.text
    response = sis.get(f"{ROSTER}/users", fields="sourcedId,shoeSize")
    assert response.status_code == 400
    assert "invalid_selection_field" in response.text


def test_fields_and_sort(sis):
    response = sis.get(f"{ROSTER}/users", fields="sourcedId,familyName", sort="familyName", orderBy="desc")
    users = response.json()["users"]
    assert all(set(u) == {"sourcedId", "familyName"} for u in users)
    names = [u["familyName"] for u in users]
    assert names == sorted(names, reverse=True)


def test_class_students_and_teachers(sis):
    students = sis.get(f"{ROSTER}/classes/cls-00000/students").json()["users"]
    teachers = sis.get(f"{ROSTER}/classes/cls-00000/teachers").json()["users"]
    assert students and all(u["roles"][0]["role"] == "student" for u in students)
    assert [u["sourcedId"] for u in teachers] == ["usr-t00000"]


def test_a_token_without_gradebook_scope_is_forbidden_there(sis):
    token = sis.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "scope": "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
        },
        auth=("pb", "secret"),
    ).json()["access_token"]
    response = sis.http.get(f"{GRADEBOOK}/lineItems", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert "gradebook.readonly" in response.json()["imsx_description"]
    assert sis.http.get(f"{ROSTER}/orgs", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_every_seeded_student_has_demographics_readable_only_with_their_scope(sis):
    students = {u["sourcedId"] for u in sis.get(f"{ROSTER}/students", limit=1000).json()["users"]}
    records = sis.get(f"{ROSTER}/demographics", limit=1000).json()["demographics"]
    assert {r["sourcedId"] for r in records} == students
    assert all(r["sex"] in {"male", "female"} and r["white"] in {"true", "false"} for r in records)
    single = sis.get(f"{ROSTER}/demographics/usr-000001")
    assert_valid("rostering", "SingleDemographicsDType", single.json())
    token = sis.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": OR12 + "roster.readonly"},
        auth=("pb", "secret"),
    ).json()["access_token"]
    refused = sis.http.get(f"{ROSTER}/demographics", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert "roster-demographics.readonly" in refused.json()["imsx_description"]


def test_injected_429_carries_retry_after_and_requests_are_counted(sis):
    sis.state.faults.set([FaultRule(path="/users", status=429, next_n=1, retry_after=2)])
    first = sis.get(f"{ROSTER}/users")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert sis.get(f"{ROSTER}/users").status_code == 200
    stats = sis.http.get("/_sandbox/stats").json()
    assert stats["requests"]["GET users"] == 2
    assert stats["injected"] == {"429": 1}


def test_faults_after_n_requests_model_a_server_falling_over_midway(sis):
    sis.state.faults.set([FaultRule(path="/orgs", status=503, after_n=2)])
    codes = [sis.get(f"{ROSTER}/orgs").status_code for _ in range(4)]
    assert codes == [200, 200, 503, 503]


def test_faults_can_be_set_over_http(sis):
    assert sis.http.put("/_sandbox/faults", json=[{"path": "/orgs", "status": 500}]).status_code == 204
    assert sis.get(f"{ROSTER}/orgs").status_code == 500
    assert sis.http.put("/_sandbox/faults", json=[{"nope": 1}]).status_code == 400
    assert sis.http.delete("/_sandbox/faults").status_code == 204
    assert sis.get(f"{ROSTER}/orgs").status_code == 200
