"""A teacher removes a tag: the assignment's scores stop counting, stay shown, and come back if re-tagged."""

from __future__ import annotations

from sqlalchemy import select

from mappings.evidence import EvidenceStatus
from store.alignments import Alignment
from store.audit import AuditEntry
from store.evidence import EvidenceRow
from tests.e2e.demo_stack import demo_stack, form_token, launched


def test_removing_a_tag_stops_its_evidence_counting_and_keeps_it(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        teacher, _home, ls = launched(stack, user=seed.teacher_id, course=seed.course_id)
        with database.begin() as session:
            alignment = session.scalars(select(Alignment).order_by(Alignment.id)).first()
            key = f"{alignment.kind.value}|{alignment.rubric_criterion_id}|{alignment.external_id}"
            alignment_id, title = alignment.id, alignment.title
            counted = session.scalars(
                select(EvidenceRow).where(EvidenceRow.alignment_id == alignment_id)
            ).all()
            assert counted
        page = teacher.http.get(f"{stack.tool_url}/teacher/assignments/tag", params={"ls": ls, "key": key})
        assert page.status_code == 200, page.text[:300]
        assert "Remove the tag" in page.text
        forged = teacher.http.post(f"{stack.tool_url}/teacher/assignments/untag", data={"ls": ls, "key": key})
        assert forged.status_code == 400
        done = teacher.http.post(
            f"{stack.tool_url}/teacher/assignments/untag",
            data={"ls": ls, "key": key, "title": title, "csrf_token": form_token(page.text)},
        )
        assert done.status_code == 303
        with database.begin() as session:
            assert session.get(Alignment, alignment_id) is None
            kept = session.scalars(
                select(EvidenceRow).where(EvidenceRow.id.in_([r.id for r in counted]))
            ).all()
            assert len(kept) == len(counted)  # nothing deleted
            assert {r.status for r in kept} == {EvidenceStatus.REMOVED_AT_SOURCE}
            assert "alignment removed" in [e.action for e in session.scalars(select(AuditEntry))]
        again = teacher.http.post(
            f"{stack.tool_url}/teacher/assignments/untag",
            data={"ls": ls, "key": key, "csrf_token": form_token(page.text)},
        )
        assert again.status_code == 400
        assert "not tagged" in again.text
