"""Who may see what: a student only ever their own data, a teacher only their course's,
every form refused without its CSRF token, and exports that a spreadsheet cannot run."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.audit import AuditEntry
from store.evidence import EvidenceRow
from store.overrides import StandingOverride
from store.self_assessments import SelfAssessment
from store.standings import StandingKind, StandingRow
from tests.e2e.demo_stack import demo_stack, form_token, launched


def _standing_ids(session, student_id: int) -> list[int]:
    return list(
        session.scalars(
            select(StandingRow.id).where(
                StandingRow.student_id == student_id,
                StandingRow.kind == StandingKind.INDICATOR,
                StandingRow.course_id.is_not(None),
            )
        )
    )


def test_a_student_sees_only_their_own_data_whatever_url_they_type(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        me, home, ls = launched(stack, user=seed.student_ids[0], course=seed.course_id)
        with database.begin() as session:
            mine = set(re.findall(r"/student/standing/(\d+)", me.http.get(home).text))
            everyone = set(
                session.scalars(select(StandingRow.id).where(StandingRow.kind == StandingKind.INDICATOR))
            )
        theirs = sorted(everyone - {int(i) for i in mine})
        assert mine and theirs
        base = stack.tool_url
        for standing_id in theirs[:5]:
            answer = me.http.get(f"{base}/student/standing/{standing_id}", params={"ls": ls})
            assert answer.status_code == 404
            assert "no such standing" in answer.text
        own = me.http.get(f"{base}/student/standing/{min(int(i) for i in mine)}", params={"ls": ls})
        token = form_token(own.text)
        posted = me.http.post(
            f"{base}/student/standing/{theirs[0]}/self-assessment",
            data={"ls": ls, "csrf_token": token, "level": "4", "reflection": "x"},
        )
        assert posted.status_code == 404
        for path in ("/teacher/", "/teacher/act", "/teacher/sync/runs/1.json", "/admin/", "/admin/audit"):
            assert me.http.get(base + path, params={"ls": ls}).status_code == 403
        with database.begin() as session:
            assert session.scalar(select(SelfAssessment.id)) is None


def test_a_self_assessment_is_kept_apart_and_changes_no_standing(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        me, home, ls = launched(stack, user=seed.student_ids[1], course=seed.course_id)
        standing_id = int(re.search(r"/student/standing/(\d+)", me.http.get(home).text).group(1))
        with database.begin() as session:
            before = session.get(StandingRow, standing_id).value
        page = me.http.get(f"{stack.tool_url}/student/standing/{standing_id}", params={"ls": ls})
        saved = me.http.post(
            f"{stack.tool_url}/student/standing/{standing_id}/self-assessment",
            data={"ls": ls, "csrf_token": form_token(page.text), "level": "4", "reflection": "I get it now"},
        )
        assert saved.status_code == 303
        refused = me.http.post(
            f"{stack.tool_url}/student/standing/{standing_id}/self-assessment",
            data={"ls": ls, "csrf_token": form_token(page.text), "level": "7", "reflection": ""},
        )
        assert refused.status_code == 400 and "scale&#39;s levels" in refused.text
        with database.begin() as session:
            assert session.get(StandingRow, standing_id).value == before
            rows = session.scalars(select(SelfAssessment)).all()
            assert [(str(r.level.normalize()), r.reflection) for r in rows] == [("4", "I get it now")]
        teacher, _, tls = launched(stack, user=seed.teacher_id, course=seed.course_id)
        seen = teacher.http.get(f"{stack.tool_url}/teacher/standing/{standing_id}", params={"ls": tls})
        assert "I get it now" in seen.text


def test_teacher_actions_need_the_csrf_token_and_are_audited(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        teacher, home, ls = launched(stack, user=seed.teacher_id, course=seed.course_id)
        standing_id = int(re.search(r"/teacher/standing/(\d+)", teacher.http.get(home).text).group(1))
        url = f"{stack.tool_url}/teacher/standing/{standing_id}"
        page = teacher.http.get(url, params={"ls": ls})
        forged = teacher.http.post(f"{url}/override", data={"ls": ls, "value": "4", "reason": "x"})
        assert forged.status_code == 400
        no_reason = teacher.http.post(
            f"{url}/override",
            data={"ls": ls, "csrf_token": form_token(page.text), "value": "4", "reason": " "},
        )
        assert no_reason.status_code == 400 and "say why" in no_reason.text
        done = teacher.http.post(
            f"{url}/override",
            data={"ls": ls, "csrf_token": form_token(page.text), "value": "4", "reason": "Conference"},
        )
        assert done.status_code == 303
        with database.begin() as session:
            row = session.get(StandingRow, standing_id)
            assert row.overridden and row.value == 4
            evidence = session.scalars(
                select(EvidenceRow).where(
                    EvidenceRow.student_id == row.student_id, EvidenceRow.indicator_id == row.indicator_id
                )
            ).first()
            override = session.scalars(select(StandingOverride)).one()
            assert override.reason == "Conference"
        excluded = teacher.http.post(
            f"{url}/evidence/{evidence.id}/exclude",
            data={"ls": ls, "csrf_token": form_token(page.text), "reason": "Absent"},
        )
        assert excluded.status_code == 303
        with database.begin() as session:
            actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
            assert actions == ["override set", "evidence excluded"]
        # a student of the course can be reported on; anybody else is "not found"
        assert (
            teacher.http.get(
                f"{stack.tool_url}/teacher/students/999999/report", params={"ls": ls}
            ).status_code
            == 404
        )
        pdf = teacher.http.get(
            f"{stack.tool_url}/teacher/students/{row.student_id}/report.pdf", params={"ls": ls}
        )
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_every_table_exports_as_csv(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        teacher, _, ls = launched(stack, user=seed.teacher_id, course=seed.course_id)
        heat = teacher.http.get(f"{stack.tool_url}/teacher/", params={"ls": ls, "export": "heatmap"})
        assert heat.headers["content-type"].startswith("text/csv")
        lines = heat.text.splitlines()
        assert lines[0].startswith("Student,") and len(lines) == 1 + len(seed.student_ids)
        unknown = teacher.http.get(f"{stack.tool_url}/teacher/", params={"ls": ls, "export": "nope"})
        assert unknown.status_code == 404 and "heatmap" in unknown.text
        for path, key in (
            ("/teacher/act", "below"),
            ("/teacher/sync", "runs"),
            ("/teacher/reports", "indicators"),
            ("/teacher/reports/quality", "little_evidence"),
        ):
            answer = teacher.http.get(stack.tool_url + path, params={"ls": ls, "export": key})
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), path
