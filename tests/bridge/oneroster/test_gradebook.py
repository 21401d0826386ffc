from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.oneroster.gradebook import (
    GradebookRecordInvalid,
    pull_gradebooks,
    read_class_gradebook,
    result_observations,
)
from bridge.oneroster.roster_sync import sync_roster
from bridge.oneroster.standings import StandingResult
from bridge.oneroster.writeback import write_back
from mappings.conversion import default_cut_scores
from mappings.evidence import EvidenceStatus, Purpose
from store.alignments import AlignmentKind, save_alignment
from store.evidence import EvidenceRow
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator
from store.people import Course, User
from store.sis import SisLineItem, SisResult

DISTRICT = {"schools": 1, "users": 20, "classes": 2, "enrollments": 30}


def _line_item(sis, sourced_id: str, *, due: str = "2025-09-20T00:00:00.000Z", max_value: float = 20.0):
    sis.state.put(
        "lineItems",
        {
            "sourcedId": sourced_id,
            "title": f"Quiz {sourced_id}",
            "assignDate": "2025-09-01T00:00:00.000Z",
            "dueDate": due,
            "class": {"sourcedId": "cls-00000", "type": "class"},
            "school": {"sourcedId": "org-000", "type": "org"},
            "category": {"sourcedId": "cat-1", "type": "category"},
            "resultValueMin": 0.0,
            "resultValueMax": max_value,
        },
    )


def _result(sis, sourced_id: str, line_item: str, student: str, score: float | None, status="fully graded"):
    record = {
        "sourcedId": sourced_id,
        "lineItem": {"sourcedId": line_item, "type": "lineItem"},
        "student": {"sourcedId": student, "type": "user"},
        "scoreStatus": status,
        "scoreDate": "2025-10-15",
    }
    if score is not None:
        record["score"] = score
    sis.state.put("results", record)


@pytest.fixture
def gradebook_sis(sis_factory):
    sis = sis_factory(**DISTRICT)
    _line_item(sis, "li-quiz")
    _line_item(sis, "li-essay", due="2025-09-25T00:00:00.000Z")
    _result(sis, "r-1", "li-quiz", "usr-000000", 18.0)
    _result(sis, "r-2", "li-quiz", "usr-000001", 9.0)
    _result(sis, "r-3", "li-quiz", "usr-000002", None, status="exempt")
    _result(sis, "r-4", "li-essay", "usr-000000", 15.0)
    return sis


def test_read_returns_typed_line_items_and_results(gradebook_sis):
    gradebook = read_class_gradebook(gradebook_sis.client(), "cls-00000")
    assert {i.sourced_id for i in gradebook.line_items} == {"li-quiz", "li-essay"}
    observations = {o.result_sourced_id: o for o in result_observations(gradebook)}
    first = observations["r-1"]
    assert (first.score, first.score_max, first.assessed_on) == (
        Decimal("18.0"),
        Decimal("20.0"),
        date(2025, 9, 20),
    )
    assert observations["r-3"].score is None and observations["r-3"].score_status == "exempt"


def test_our_own_standings_are_not_read_back(gradebook_sis):
    sync_roster(gradebook_sis.database, gradebook_sis.connection_id, gradebook_sis.client())
    write_back(
        gradebook_sis.database,
        gradebook_sis.connection_id,
        gradebook_sis.client(),
        [
            StandingResult(
                "cls-00000", "usr-000000", "MATH.1", "Number", None, Decimal(3), None, date(2025, 10, 1)
            )
        ],
    )
    gradebook = read_class_gradebook(gradebook_sis.client(), "cls-00000")
    assert len(gradebook.line_items) == 3
    assert {o.line_item_sourced_id for o in result_observations(gradebook)} == {"li-quiz", "li-essay"}


def test_a_malformed_result_names_itself(gradebook_sis):
    gradebook_sis.state.records["results"]["r-9"] = {
        "sourcedId": "r-9",
        "lineItem": {"sourcedId": "li-quiz"},
        "status": "active",
    }
    with pytest.raises(GradebookRecordInvalid, match="result 'r-9': student"):
        read_class_gradebook(gradebook_sis.client(), "cls-00000")


def _aligned_course(sis):
    with sis.database.begin() as session:
        framework = Framework(code="GSP", title="Sample")
        standard = GraduationStandard(framework=framework, code="MATH.1", title="Number")
        session.add_all([framework, standard])
        session.flush()
        indicator = PerformanceIndicator(
            framework_id=framework.id, standard_id=standard.id, code="MATH.1.a", title="Fractions"
        )
        session.add(indicator)
        course = Course(issuer="https://canvas", context_id="c1", lis_course_section_sourcedid="cls-00000")
        students = [
            User(issuer="https://canvas", sub=f"s{i}", lis_person_sourcedid=f"usr-{i:06d}") for i in range(2)
        ]
        session.add_all([course, *students])
        session.flush()
        save_alignment(
            session,
            course_id=course.id,
            kind=AlignmentKind.ONEROSTER_LINE_ITEM,
            external_id="li-quiz",
            indicator_ids=[indicator.id],
            purpose=Purpose.SUMMATIVE,
            conversion=default_cut_scores(),
            connection_id=sis.connection_id,
        )
        return indicator.id, [s.id for s in students]


def test_aligned_results_of_linked_students_become_evidence(gradebook_sis):
    sync_roster(gradebook_sis.database, gradebook_sis.connection_id, gradebook_sis.client())
    indicator_id, (ada, ben) = _aligned_course(gradebook_sis)
    report = pull_gradebooks(
        gradebook_sis.database, gradebook_sis.connection_id, gradebook_sis.client(), ["cls-00000"]
    )
    (evidence,) = report.evidence
    assert (evidence.observations, evidence.unaligned, evidence.unknown_students) == (2, 1, 1)
    with gradebook_sis.database.begin() as session:
        rows = {r.student_id: r for r in session.scalars(select(EvidenceRow))}
        assert set(rows) == {ada, ben}
        assert rows[ada].indicator_id == indicator_id
        assert rows[ada].level == Decimal("4.00")  # 18/20 = 90 %
        assert rows[ben].level == Decimal("1.00")  # 9/20 = 45 %
        assert rows[ada].assessed_at == datetime(2025, 9, 20, tzinfo=UTC)  # due date, not graded date
        assert rows[ada].source == "oneroster"
        assert (
            session.scalars(select(SisLineItem)).all() and len(session.scalars(select(SisResult)).all()) == 4
        )
    # a re-read changes nothing; a score the SIS removes is marked, not deleted
    again = pull_gradebooks(
        gradebook_sis.database, gradebook_sis.connection_id, gradebook_sis.client(), ["cls-00000"]
    )
    assert again.evidence[0].changed == frozenset()
    gradebook_sis.state.mark_deleted("results", "r-2")
    gone = pull_gradebooks(
        gradebook_sis.database, gradebook_sis.connection_id, gradebook_sis.client(), ["cls-00000"]
    )
    assert gone.evidence[0].removed == 1
    with gradebook_sis.database.begin() as session:
        row = session.scalars(select(EvidenceRow).where(EvidenceRow.student_id == ben)).one()
        assert row.status is EvidenceStatus.REMOVED_AT_SOURCE


def test_an_unlinked_class_gives_no_evidence_and_says_so(gradebook_sis):
    report = pull_gradebooks(
        gradebook_sis.database, gradebook_sis.connection_id, gradebook_sis.client(), ["cls-00000"]
    )
    assert report.evidence[0].course_id is None
    assert "not linked" in report.evidence[0].problems[0]
    assert report.results == 4


def test_version_1_1_gradebooks_read_the_same_way(sis_factory):
    sis = sis_factory(version="1.1", auth="oauth1", **DISTRICT)
    sis.state.put(
        "lineItems",
        {
            "sourcedId": "li-1",
            "title": "Lab",
            "assignDate": "2025-09-01",
            "dueDate": "2025-09-12",
            "class": {"sourcedId": "cls-00000", "type": "class"},
            "category": {"sourcedId": "cat-1", "type": "category"},
            "gradingPeriod": {"sourcedId": "ses-gp1", "type": "academicSession"},
            "resultValueMax": 10.0,
        },
    )
    _result(sis, "r-1", "li-1", "usr-000000", 7.0)
    gradebook = read_class_gradebook(sis.client(), "cls-00000")
    (observation,) = result_observations(gradebook)
    assert (observation.score, observation.score_max, observation.assessed_on) == (
        Decimal("7.0"),
        Decimal("10.0"),
        date(2025, 9, 12),
    )
