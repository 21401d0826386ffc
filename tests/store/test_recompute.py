from __future__ import annotations

import zlib
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from mappings.calculation import MethodChoice
from mappings.evidence import EvidenceStatus, Purpose
from mappings.policy import CourseChoice, Policy
from mappings.rollup import RollupRule
from mappings.verification import IndicatorBody, VerificationRule
from store import recompute as recompute_module
from store import standing_writes
from store.evidence import EvidenceRow, StandingKey, exclude_evidence, mark_removed, record_observations
from store.overrides import active_overrides, set_override
from store.policies import all_policies, set_course_choice, set_district_policy
from store.recompute import district_students, recompute
from store.recompute_inputs import load_catalogue
from store.standings import (
    StandingKind,
    StandingRow,
    StandingStatus,
    course_grid,
    standing_evidence,
    student_standings,
)
from tests.store.district import START, make_district, observation
from tests.store.varied_district import COMPARED, later_changes, policy, standings, varied_district, weighted

D = Decimal
POLICY = Policy(
    method=MethodChoice.of("mean"),
    rollup=RollupRule.of("mean"),
    verification=VerificationRule(min_observations=2, min_courses=1),
    course_methods=frozenset({"latest"}),
)


def rows(session):
    return {r.key: r for r in session.scalars(select(StandingRow))}


def seed(session):
    d = make_district(session)
    set_district_policy(session, POLICY)
    s0, s1 = d.students[0], d.students[1]
    pi1, pi2, pi3 = d.math_indicators
    c0, c1 = d.courses
    record_observations(
        session,
        [
            observation(s0, pi1, c0, 2, 1, "a1"),
            observation(s0, pi1, c0, 3, 2, "a2"),
            observation(s0, pi1, c1, 4, 3, "b1"),
            observation(s0, pi2, c0, 3, 1, "a3"),
            observation(s0, pi2, c0, 1, 2, "a4", purpose=Purpose.FORMATIVE),
            observation(s1, pi1, c0, 4, 1, "a5"),
            observation(s1, pi3, c0, 4, 1, "a6"),
            observation(s0, d.habit_indicators[0], c0, 2, 1, "h1", purpose=Purpose.HABIT_OF_WORK),
        ],
    )
    return d


def test_full_recompute_writes_indicators_rollups_and_verification(database):
    with database.begin() as session:
        d = seed(session)
        changes = recompute(session)
        assert changes and all(c.old_value is None for c in changes)
    with database.begin() as session:
        got = rows(session)
    s0, s1 = d.students[0], d.students[1]
    pi1, pi2, _ = d.math_indicators
    c0, c1 = d.courses
    assert got[f"indicator:{s0}:{c0}:{pi1}"].value == D("2.50")
    assert got[f"indicator:{s0}:{c1}:{pi1}"].value == D("4.00")
    assert got[f"indicator:{s0}:-:{pi1}"].value == D("3.00")  # all three across courses
    assert got[f"indicator:{s0}:-:{pi1}"].courses == 2
    assert got[f"indicator:{s0}:{c0}:{pi2}"].value == D("3.00")  # the formative 1 is not counted
    assert got[f"standard:{s0}:{c0}:{d.math}"].value == D("2.75")  # mean of 2.5 and 3
    verification = got[f"verification:{s0}:-:{d.math}"]
    assert verification.status is StandingStatus.NOT_VERIFIED  # PI 2 has one observation, PI 3 none
    habit = got[f"indicator:{s0}:{c0}:{d.habit_indicators[0]}"]
    assert habit.habit and habit.value == D("2.00")
    assert got[f"standard:{s0}:{c0}:{d.habit}"].habit
    assert f"verification:{s0}:-:{d.habit}" not in got  # habits are not verified
    explained = got[f"indicator:{s0}:{c0}:{pi2}"].explanation
    assert any("formative" in line["reason"] for line in explained["left_out"])
    assert f"indicator:{s1}:{c0}:{pi1}" in got


def _reported(session) -> dict[str, dict[str, object]]:
    """What a change reports of each stored standing, by key."""
    return {
        r.key: {
            "standing_id": r.id,
            "key": r.key,
            "kind": r.kind,
            "student_id": r.student_id,
            "course_id": r.course_id,
            "indicator_id": r.indicator_id,
            "standard_id": r.standard_id,
            "habit": r.habit,
            "value": r.value,
            "status": r.status,
            "comment": r.summary,
        }
        for r in session.scalars(select(StandingRow))
    }


def test_each_change_describes_the_standing_it_reports(database):
    """Every field of every change, against the row written: changes are made by position,
    and two fields swapped could still type-check."""
    with database.begin() as session:
        d = seed(session)
        first = recompute(session)
    with database.begin() as session:
        written = _reported(session)
        s0, pi1, c0 = d.students[0], d.math_indicators[0], d.courses[0]
        keys = record_observations(session, [observation(s0, pi1, c0, 4, 9, "a7")])
        second = recompute(session, keys)
    with database.begin() as session:
        rewritten = _reported(session)
    assert len(first) == len(written) and second
    assert {c.kind for c in first} == set(StandingKind)
    for changes, old, new in ((first, {}, written), (second, written, rewritten)):
        for change in changes:
            row, was = dict(new[change.key]), old.get(change.key)
            value, status = row.pop("value"), row.pop("status")
            assert change._asdict() == {
                **row,
                "old_value": None if was is None else was["value"],
                "new_value": value,
                "old_status": None if was is None else was["status"],
                "new_status": status,
            }


def test_a_new_score_touches_only_the_standings_that_depend_on_it(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    with database.begin() as session:
        before = {k: (r.computed_at, r.value) for k, r in rows(session).items()}
        s0, pi1, c0 = d.students[0], d.math_indicators[0], d.courses[0]
        keys = record_observations(session, [observation(s0, pi1, c0, 4, 9, "a7")])
        assert keys == {StandingKey(s0, pi1, c0)}
        changes = recompute(session, keys)
    with database.begin() as session:
        after = {k: (r.computed_at, r.value) for k, r in rows(session).items()}
    rewritten = sorted(k for k in after if after[k][0] != before[k][0])
    # the course standing, the cross-course one, both roll-ups and the verification
    assert rewritten == sorted(
        [
            f"indicator:{s0}:{c0}:{pi1}",
            f"indicator:{s0}:-:{pi1}",
            f"standard:{s0}:{c0}:{d.math}",
            f"standard:{s0}:-:{d.math}",
            f"verification:{s0}:-:{d.math}",
        ]
    )
    by_key = {c.key: c for c in changes}
    assert by_key[f"indicator:{s0}:{c0}:{pi1}"].old_value == D("2.50")
    assert by_key[f"indicator:{s0}:{c0}:{pi1}"].new_value == D("3.00")
    assert "mean of 3 scores" in by_key[f"indicator:{s0}:{c0}:{pi1}"].comment
    assert f"verification:{s0}:-:{d.math}" not in by_key  # rewritten, verdict unchanged


def test_an_unchanged_repull_changes_nothing(database):
    with database.begin() as session:
        seed(session)
        recompute(session)
        assert recompute(session) == []


def test_a_change_the_value_does_not_see_still_reaches_the_stored_explanation(database):
    """Excluding or removing formative work leaves the value as it was, but the stored
    explanation must say why that work is left out now."""
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    s0, pi2, c0 = d.students[0], d.math_indicators[1], d.courses[0]
    key = f"indicator:{s0}:{c0}:{pi2}"

    def reason_for_a4(session) -> str:
        (line,) = [line for line in rows(session)[key].explanation["left_out"] if line["ref"] == str(a4)]
        return str(line["reason"])

    with database.begin() as session:
        a4 = session.scalars(select(EvidenceRow.id).where(EvidenceRow.source_ref == "a4")).one()
        assert "formative" in reason_for_a4(session)
        keys = exclude_evidence(session, a4, by_user_id=d.teacher, reason="copied from a friend")
        assert recompute(session, keys) == []  # nothing a gradebook shows has changed
        assert "copied from a friend" in reason_for_a4(session)
        recompute(session, mark_removed(session, "ags", ["a4"]))
        assert "removed at its source" in reason_for_a4(session)
        assert rows(session)[key].value == D("3.00")


def test_a_corrected_date_reaches_the_stored_explanation(database):
    """An LMS that corrects a due date moves the evidence's assessed date; here the value and
    the order stay (a day earlier, still before the formative work), and the explanation
    must show the new date."""
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    s0, pi2, c0 = d.students[0], d.math_indicators[1], d.courses[0]
    key = f"indicator:{s0}:{c0}:{pi2}"
    with database.begin() as session:
        keys = record_observations(session, [observation(s0, pi2, c0, 3, 0, "a3")])  # was day 1
        assert recompute(session, keys) == []
        (used,) = rows(session)[key].explanation["used"]
        assert used["assessed_at"].startswith(START.date().isoformat())


def test_overrides_are_reported_with_the_method_value(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
        s0, pi1, c0 = d.students[0], d.math_indicators[0], d.courses[0]
        set_override(
            session,
            student_id=s0,
            course_id=c0,
            indicator_id=pi1,
            value=D(3),
            author_id=d.teacher,
            reason="oral exam",
        )
        changes = recompute(session, [StandingKey(s0, pi1, c0)])
        change = next(c for c in changes if c.key == f"indicator:{s0}:{c0}:{pi1}")
        assert (change.old_value, change.new_value) == (D("2.50"), D("3.00"))
        assert change.comment.startswith("Teacher override 3 (oral exam); mean gives 2.5")
        row = rows(session)[change.key]
        assert row.overridden and row.computed_value == D("2.50")
        assert "Ms Rivera" in standing_evidence(session, row.id)[2].plain()


def test_course_choice_and_removed_results(database):
    with database.begin() as session:
        d = seed(session)
        s0, pi1, c0, c1 = d.students[0], d.math_indicators[0], d.courses[0], d.courses[1]
        set_course_choice(session, c0, CourseChoice(method=MethodChoice.of("latest")))
        recompute(session)
        got = rows(session)
        assert got[f"indicator:{s0}:{c0}:{pi1}"].value == D("3.00")  # latest in course 0
        assert got[f"indicator:{s0}:-:{pi1}"].value == D("3.00")  # district mean across courses
        keys = mark_removed(session, "ags", ["a2"])
        changes = {c.key: c for c in recompute(session, keys)}
        assert changes[f"indicator:{s0}:{c0}:{pi1}"].new_value == D("2.00")
        assert f"indicator:{s0}:-:{pi1}" not in changes  # (2 + 4) / 2 = 3: rewritten, same value
        assert rows(session)[f"indicator:{s0}:-:{pi1}"].observations == 2
        assert f"indicator:{s0}:{c1}:{pi1}" not in changes
        assert mark_removed(session, "ags", ["a1"], EvidenceStatus.STUDENT_LEFT) == set()


def test_course_recompute_and_reads(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session, course_id=d.courses[0], explain=False)
        grid = course_grid(session, d.courses[0])
        s0, s1 = d.students[0], d.students[1]
        assert grid.student_ids == (s0, s1)
        assert grid.indicator_ids == tuple(sorted(d.math_indicators))
        assert grid.habit_indicator_ids == (d.habit_indicators[0],)
        assert grid.cells[(s1, d.math_indicators[0])].value == D("4.00")
        assert grid.standard_cells[(s0, d.math)].value == D("2.75")
        mine = student_standings(session, s0, d.courses[0])
        assert {v.kind for v in mine.academics} == {StandingKind.INDICATOR, StandingKind.STANDARD}
        assert all(v.habit for v in mine.habits) and mine.habits
        # the bulk run left explanations unbuilt; reading builds them from the evidence
        first = next(v for v in mine.academics if v.kind is StandingKind.INDICATOR)
        assert first.explanation is not None and first.explanation["method"] == "mean"
        assert session.get(StandingRow, first.id).explanation is None
        view, evidence, explanation = standing_evidence(session, first.id)
        assert len(evidence) >= 1 and explanation.value == view.value


SUMMARY, EXPLANATION = COMPARED.index("summary"), COMPARED.index("explanation")


def _without_explanations(row: tuple) -> tuple:
    """A standing as the bulk path alone writes it: indicators carry no summary yet."""
    kept = list(row)
    if row[0] is StandingKind.INDICATOR:
        kept[SUMMARY] = ""
    kept[EXPLANATION] = None
    return tuple(kept)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_bulk_standings_are_the_explained_paths(database, seed):
    with database.begin() as session:
        varied_district(session, seed)
        recompute(session, explain=False)
        bulk = standings(session)
        session.execute(delete(StandingRow))
        recompute(session, explain=True)  # checks every written standing against the explained path
        explained = standings(session)
    assert bulk and bulk.keys() == explained.keys()
    assert {k: _without_explanations(r) for k, r in explained.items()} == bulk
    assert all(r[EXPLANATION] is not None for r in explained.values())
    kinds = {r[0] for r in bulk.values()}
    assert kinds == {StandingKind.INDICATOR, StandingKind.STANDARD, StandingKind.VERIFICATION}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_run_for_keys_computes_through_the_explained_path_what_the_bulk_path_does(
    database, seed, monkeypatch
):
    """A small run for keys computes its standings through the explained path alone
    (store.explained_blocks): every value, count, digest and explanation must be the bulk
    path's, or a later full recompute would rewrite them. Here the whole district is one
    such run."""
    monkeypatch.setattr(recompute_module, "_EXPLAINED_RUN", 10_000)
    with database.begin() as session:
        d = varied_district(session, seed)
        set_override(  # at exactly the level that meets the standard
            session,
            student_id=d.students[seed],
            course_id=d.courses[0],
            standard_id=d.math,
            value=D(3),
            author_id=d.teacher,
            reason="capstone",
        )
        recompute(session)
        full = standings(session)
        session.execute(delete(StandingRow))
        evidence = session.execute(
            select(EvidenceRow.student_id, EvidenceRow.indicator_id, EvidenceRow.course_id)
        )
        recompute(session, {StandingKey(*row) for row in evidence})
        assert standings(session) == full
        assert recompute(session) == []
    assert any(r[COMPARED.index("overridden")] for r in full.values())


def test_weights_past_the_bulk_path_roll_up_through_the_explained_path(database):
    with database.begin() as session:
        d = varied_district(session, 7, rollup=weighted([*range(1, 10)], places=0))
        rule = weighted([*d.math_indicators, *d.science_indicators], places=7)
        set_district_policy(session, policy(7, rule))
        recompute(session, explain=False)
        bulk = standings(session)
        session.execute(delete(StandingRow))
        recompute(session, explain=True)
        explained = standings(session)
    assert {k: _without_explanations(r) for k, r in explained.items()} == bulk
    assert any(
        r[0] is StandingKind.STANDARD and r[COMPARED.index("value")] is not None for r in bulk.values()
    )


@pytest.fixture(params=[500, 0], ids=["updates-by-statement", "updates-through-copy"])
def update_paths(request, monkeypatch):
    """Both ways PostgreSQL rewrites changed rows (0: always a temporary table and one UPDATE)."""
    monkeypatch.setattr(standing_writes, "_UPDATES_BY_STATEMENT", request.param)


def test_incremental_updates_end_where_a_full_recompute_does(database, update_paths):
    with database.begin() as session:
        d = varied_district(session, 5)
        recompute(session)
    with database.begin() as session:
        for keys in later_changes(session, d, 5):
            recompute(session, keys)
        incremental = standings(session)
        session.execute(delete(StandingRow))
        recompute(session)
        full = standings(session)
    # explanations aside: a result that did not count and is then removed at its source
    # leaves the counted evidence, hence the digest, as it was, so the stored explanation
    # keeps the earlier reason for leaving it out (the digest has always covered only what
    # counts)
    assert {k: r[:EXPLANATION] for k, r in full.items()} == {
        k: r[:EXPLANATION] for k, r in incremental.items()
    }


def test_a_changed_policy_rewrites_what_it_changes(database, update_paths):
    with database.begin() as session:
        varied_district(session, 6)
        recompute(session)
        before = standings(session)
        set_district_policy(session, policy(6, RollupRule.of("minimum")))
        changes = recompute(session)
        rewritten = standings(session)
        session.execute(delete(StandingRow))
        recompute(session)
        assert standings(session) == rewritten
    assert changes and {c.key for c in changes} <= {k for k in rewritten if rewritten[k] != before[k]}


def test_roll_up_digests_are_unchanged_from_the_explained_formula(database):
    """Stored digests keep their meaning: an upgrade does not rewrite every standard."""
    with database.begin() as session:
        d = varied_district(session, 8)
        recompute(session, explain=False)
        rows = {r.key: r for r in session.scalars(select(StandingRow))}
        district, courses = all_policies(session)
        overrides = active_overrides(session)
        catalogue = load_catalogue(session)

        def digest(*parts):
            return f"{zlib.crc32(repr(parts).encode()):08x}"

        checked = 0
        for key, row in rows.items():
            if row.kind is StandingKind.INDICATOR:
                continue
            scope = "-" if row.course_id is None else row.course_id
            members = [
                (i, rows[f"indicator:{row.student_id}:{scope}:{i}"].value)
                for i in catalogue.indicators_of[row.standard_id]
                if f"indicator:{row.student_id}:{scope}:{i}" in rows
            ]
            if row.kind is StandingKind.STANDARD:
                rule = (courses.get(row.course_id, district) if row.course_id else district).rollup
                assert row.input_hash == digest(rule, members, overrides.get(key)), key
            else:
                bodies = []
                for i in catalogue.indicators_of[row.standard_id]:
                    found = rows.get(f"indicator:{row.student_id}:-:{i}")
                    value = found.value if found else None
                    bodies.append(
                        IndicatorBody(
                            str(i), value, found.observations if found else 0, found.courses if found else 0
                        )
                    )
                assert row.input_hash == digest(district.verification, bodies), key
            checked += 1
        assert checked > len(d.students) * 3


def test_free_text_reaches_the_database_as_written(database):
    """Reasons with tabs, line breaks and backslashes survive the bulk writes."""
    with database.begin() as session:
        varied_district(session, 9)
        recompute(session)
        got = standings(session)
    overridden = [
        r for r in got.values() if r[0] is StandingKind.INDICATOR and r[COMPARED.index("overridden")]
    ]
    assert overridden and all("oral exam\twith \\ notes" in r[SUMMARY] for r in overridden)
    reasons = [
        line["reason"]
        for r in got.values()
        if r[0] is StandingKind.INDICATOR
        for line in r[EXPLANATION]["left_out"]
    ]
    assert any("absent\tthat\nday \\ retake" in reason for reason in reasons)


def test_a_standing_already_loaded_shows_the_rewritten_values(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
        s0, pi1, c0 = d.students[0], d.math_indicators[0], d.courses[0]
        loaded = session.scalars(
            select(StandingRow).where(StandingRow.key == f"indicator:{s0}:{c0}:{pi1}")
        ).one()
        assert loaded.value == D("2.50")
        recompute(session, record_observations(session, [observation(s0, pi1, c0, 4, 9, "a8")]))
        assert loaded.value == D("3.00")


def test_a_recompute_of_some_students_writes_theirs_as_the_full_one_would_and_no_one_elses(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    with database.begin() as session:
        full = {k: (r.value, r.status, r.met) for k, r in rows(session).items()}
        session.execute(delete(StandingRow))
    s0, s1 = d.students[0], d.students[1]
    with database.begin() as session:
        changes = recompute(session, students=[s0], explain=False)
        assert {c.student_id for c in changes} == {s0}
        assert recompute(session, students=[]) == []
    with database.begin() as session:
        mine = {k: (r.value, r.status, r.met) for k, r in rows(session).items()}
    assert mine == {k: v for k, v in full.items() if k.split(":")[1] == str(s0)}
    with database.begin() as session:
        recompute(session, students=[s1], explain=False)
        assert {k: (r.value, r.status, r.met) for k, r in rows(session).items()} == full
        assert recompute(session, students=[s0, s1]) == []  # nothing changed since


def test_district_students_are_those_with_evidence_or_standings(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
        s0, s1 = d.students[0], d.students[1]
        session.execute(delete(EvidenceRow).where(EvidenceRow.student_id == s1))
        assert district_students(session) == sorted([s0, s1])  # s1 still has standings
        assert d.students[2] not in district_students(session)
