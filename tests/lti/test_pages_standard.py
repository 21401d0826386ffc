"""A graduation standard's standing opened: the rule and the indicators behind it, a teacher's
override with its reason (shown to the student beside the calculated value), and who may
open which standard."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from mappings.standing import shown
from store.audit import AuditEntry
from store.frameworks import PerformanceIndicator
from store.overrides import StandingOverride
from store.people import User
from store.standings import StandingKind, StandingRow
from tests.e2e.demo_stack import demo_stack, form_token, launched


def test_a_teacher_overrides_a_standard_and_the_student_sees_why(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        teacher, home, ls = launched(stack, user=seed.teacher_id, course=seed.course_id)
        standard_ids = re.findall(r"/teacher/standard/(\d+)", teacher.http.get(home).text)
        assert standard_ids, "the class view links each standard's cell"
        standing_id = int(standard_ids[0])
        with database.begin() as session:
            row = session.get(StandingRow, standing_id)
            student_id, computed, standard_id = row.student_id, row.computed_value, row.standard_id
            student_sub = session.get(User, student_id).sub  # the sandbox knows the student by it
            indicator_ids = set(
                session.scalars(
                    select(StandingRow.id).where(
                        StandingRow.kind == StandingKind.INDICATOR,
                        StandingRow.student_id == student_id,
                        StandingRow.indicator_id.in_(
                            select(PerformanceIndicator.id).where(
                                PerformanceIndicator.standard_id == standard_id
                            )
                        ),
                        StandingRow.course_id == row.course_id,
                    )
                )
            )
        url = f"{stack.tool_url}/teacher/standard/{standing_id}"
        page = teacher.http.get(url, params={"ls": ls})
        assert page.status_code == 200
        # the arithmetic is rebuilt by the engine's explained roll-up and agrees with the stored value
        assert f"The standing on this standard is {shown(Decimal(computed))}" in page.text
        assert "Rule: mean of the indicators (rounding: hundredths)." in page.text
        assert {int(i) for i in re.findall(r"/teacher/standing/(\d+)", page.text)} == indicator_ids

        refused = teacher.http.post(
            f"{url}/override",
            data={"ls": ls, "csrf_token": form_token(page.text), "value": "9", "reason": "Portfolio"},
        )
        assert refused.status_code == 400 and "between 1 and 4" in refused.text
        done = teacher.http.post(
            f"{url}/override",
            data={"ls": ls, "csrf_token": form_token(page.text), "value": "4", "reason": "Portfolio defense"},
        )
        assert done.status_code == 303
        with database.begin() as session:
            row = session.get(StandingRow, standing_id)
            assert (row.overridden, row.value, row.computed_value, row.met) == (True, 4, computed, True)
            override = session.scalars(select(StandingOverride)).one()
            assert (override.standard_id, override.indicator_id) == (standard_id, None)
            assert [e.action for e in session.scalars(select(AuditEntry))] == ["override set"]

        student, student_home, sls = launched(stack, user=student_sub, course=seed.course_id)
        assert f"/student/standard/{standing_id}" in student.http.get(student_home).text
        mine = student.http.get(f"{stack.tool_url}/student/standard/{standing_id}", params={"ls": sls})
        assert mine.status_code == 200
        assert "Portfolio defense" in mine.text and "Calculated:" in mine.text
        assert "Why your standing on the standard is 4" in mine.text

        page = teacher.http.get(url, params={"ls": ls})
        withdrawn = teacher.http.post(
            f"{url}/override", data={"ls": ls, "csrf_token": form_token(page.text), "withdraw": "1"}
        )
        assert withdrawn.status_code == 303
        with database.begin() as session:
            row = session.get(StandingRow, standing_id)
            assert (row.overridden, row.value) == (False, computed)


def test_a_standard_standing_is_not_found_by_anyone_else(database):
    with demo_stack(database) as stack:
        seed = stack.seed
        me, home, ls = launched(stack, user=seed.student_ids[0], course=seed.course_id)
        mine = int(re.search(r"/student/standing/(\d+)", me.http.get(home).text).group(1))
        with database.begin() as session:
            me_id = session.get(StandingRow, mine).student_id
            theirs = session.scalars(
                select(StandingRow.id).where(
                    StandingRow.kind == StandingKind.STANDARD, StandingRow.student_id != me_id
                )
            ).first()
            an_indicator = session.scalars(
                select(StandingRow.id).where(StandingRow.kind == StandingKind.INDICATOR)
            ).first()
        base = stack.tool_url
        assert me.http.get(f"{base}/student/standard/{theirs}", params={"ls": ls}).status_code == 404
        assert me.http.get(f"{base}/teacher/standard/{theirs}", params={"ls": ls}).status_code == 403
        teacher, _, tls = launched(stack, user=seed.teacher_id, course=seed.course_id)
        assert (
            teacher.http.get(f"{base}/teacher/standard/{an_indicator}", params={"ls": tls}).status_code == 404
        )
        forged = teacher.http.post(
            f"{base}/teacher/standard/{theirs}/override", data={"ls": tls, "value": "4", "reason": "x"}
        )
        assert forged.status_code == 400
        with database.begin() as session:
            assert session.scalar(select(StandingOverride.id)) is None
