"""Writing standings in bulk: rows read back as written, and, as the table keeps no foreign
keys, what a deletion leaves behind is swept away."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from mappings.policy import Policy
from store import standing_writes as writes
from store.evidence import record_observations
from store.people import Course, User
from store.policies import set_district_policy
from store.recompute import recompute
from store.standing_writes import COLUMNS, StandingColumns, inserting_standings, remove_orphans
from store.standings import StandingRow
from tests.store.district import make_district, observation


def _seeded(database):
    with database.begin() as session:
        d = make_district(session)
        set_district_policy(session, Policy())
        pi1, pi2, _ = d.math_indicators
        c0, c1 = d.courses
        record_observations(
            session,
            [
                observation(d.students[0], pi1, c0, 3, 1, "a1"),
                observation(d.students[0], pi2, c1, 2, 2, "a2"),
                observation(d.students[1], pi1, c0, 4, 1, "a3"),
            ],
        )
        recompute(session)
    return d


def _standings(session) -> list[tuple[int, int | None]]:
    found = session.execute(select(StandingRow.student_id, StandingRow.course_id)).all()
    return sorted(((s, c) for s, c in found), key=lambda row: (row[0], row[1] or 0))


def test_a_deleted_student_leaves_nothing_behind(database):
    d = _seeded(database)
    gone = d.students[0]
    with database.begin() as session:
        before = _standings(session)
        session.execute(delete(User).where(User.id == gone))
        assert remove_orphans(session) == sum(1 for student, _ in before if student == gone)
    with database.begin() as session:
        after = _standings(session)
        assert after == [row for row in before if row[0] != gone]
        assert after  # the other student's standings stay
        assert remove_orphans(session) == 0


def test_a_deleted_course_keeps_the_standings_across_courses(database):
    d = _seeded(database)
    c0, c1 = d.courses
    with database.begin() as session:
        before = _standings(session)
        session.execute(delete(Course).where(Course.id == c0))
        assert remove_orphans(session) == sum(1 for _, course in before if course == c0)
        after = _standings(session)
    assert (d.students[0], None) in after  # across courses: course_id is NULL, never an orphan
    assert (d.students[0], c1) in after
    assert all(course != c0 for _, course in after)


def _as_columns(rows: list[StandingRow]) -> StandingColumns:
    def centi(value):
        return None if value is None else int(value * 100)

    names = [name for name in COLUMNS if name != "computed_at"]
    found = {name: [getattr(row, name) for row in rows] for name in names}
    found["value"] = [centi(v) for v in found["value"]]
    found["computed_value"] = [centi(v) for v in found["computed_value"]]
    return StandingColumns(**found, computed_at=rows[0].computed_at)


def test_ids_given_inside_the_insert_are_the_rows_once_it_ends(database):
    _seeded(database)
    with database.begin() as session:
        rows = list(session.scalars(select(StandingRow).order_by(StandingRow.key)))
        columns = _as_columns(rows)
        session.execute(delete(StandingRow))
        with inserting_standings(session, columns) as ids:
            given = list(ids)
        stored = dict(session.execute(select(StandingRow.key, StandingRow.id)).all())
    assert len(set(given)) == len(rows)
    assert stored == dict(zip(columns.key, given, strict=True))


def test_a_failed_block_leaves_nothing_inserted(database):
    _seeded(database)
    with database.begin() as session:
        rows = list(session.scalars(select(StandingRow)))
        columns = _as_columns(rows)
        session.execute(delete(StandingRow))
    with pytest.raises(RuntimeError), database.begin() as session, inserting_standings(session, columns):
        raise RuntimeError("the caller's own work failed")
    with database.begin() as session:
        assert session.scalars(select(StandingRow)).first() is None


def test_a_full_recompute_sweeps_what_a_deletion_left(database):
    d = _seeded(database)
    with database.begin() as session:
        session.execute(delete(User).where(User.id == d.students[0]))
    with database.begin() as session:
        recompute(session)
    with database.begin() as session:
        students = {student for student, _ in _standings(session)}
    assert students == {d.students[1]}


@pytest.mark.parametrize("by_statement", [True, False], ids=["one statement", "many rows"])
def test_updated_rows_read_back_exactly_as_given(database, monkeypatch, by_statement):
    """Both ways of updating (one statement for a few rows; on PostgreSQL a temporary table for
    many) store every column as the ORM would, awkward text and nested JSON included."""
    if not by_statement:
        monkeypatch.setattr(writes, "_UPDATES_BY_STATEMENT", 0)
    _seeded(database)
    with database.begin() as session:
        rows = list(session.scalars(select(StandingRow).order_by(StandingRow.key)))
        ids = [row.id for row in rows]
        columns = _as_columns(rows)
        n = len(columns)
        columns.value = [None if i % 3 == 0 else 100 + 25 * i for i in range(n)]
        columns.computed_value = [375] * n
        columns.met = [(None, True, False)[i % 3] for i in range(n)]
        columns.summary = [f'tab\there, "quoted", back\\slash,\nnew line, é {i}' for i in range(n)]
        columns.explanation = [{"steps": [{"text": "½ → 3", "n": i}], "nested": {"ok": 1}} for i in range(n)]
        columns.params = [{"weight": "0.65"}] * n
        columns.input_hash = [f"hash{i}" for i in range(n)]
        writes.update_standings(session, ids, columns)
    with database.begin() as session:
        back = {row.id: row for row in session.scalars(select(StandingRow))}
    for i, standing_id in enumerate(ids):
        row = back[standing_id]
        assert row.key == columns.key[i]
        assert row.value == (None if columns.value[i] is None else writes._decimal(columns.value[i]))
        assert str(row.computed_value) == "3.75"
        assert row.met is columns.met[i]
        assert row.summary == columns.summary[i]
        assert row.explanation == columns.explanation[i]
        assert row.params == {"weight": "0.65"}
        assert row.input_hash == f"hash{i}"
        assert row.status is columns.status[i] and row.kind is columns.kind[i]


def _rewritten(database) -> tuple[list[int], StandingColumns]:
    """Every stored standing, by id, with a new value."""
    with database.begin() as session:
        rows = list(session.scalars(select(StandingRow).order_by(StandingRow.key)))
        columns = _as_columns(rows)
    columns.value = [150] * len(columns)
    return [row.id for row in rows], columns


def _stored_values(database) -> dict[str, object]:
    with database.begin() as session:
        return dict(session.execute(select(StandingRow.key, StandingRow.value)).all())


def test_many_rewritten_rows_are_in_once_the_block_ends(database, monkeypatch):
    """On PostgreSQL the UPDATE of many rows runs while the caller's block does; elsewhere
    before it. Either way the rows are rewritten once the block is over."""
    monkeypatch.setattr(writes, "_UPDATES_BY_STATEMENT", 0)
    _seeded(database)
    ids, columns = _rewritten(database)
    with (
        database.begin() as session,
        writes.writing_standings(session, ids, columns, columns.take([])) as new,
    ):
        assert new == []
    assert set(_stored_values(database).values()) == {writes._decimal(150)}


def test_a_failed_block_leaves_the_rewritten_rows_as_they_were(database, monkeypatch):
    monkeypatch.setattr(writes, "_UPDATES_BY_STATEMENT", 0)
    _seeded(database)
    before = _stored_values(database)
    ids, columns = _rewritten(database)
    with (
        pytest.raises(RuntimeError, match="the caller's own work failed"),
        database.begin() as session,
        writes.writing_standings(session, ids, columns, columns.take([])),
    ):
        raise RuntimeError("the caller's own work failed")
    assert _stored_values(database) == before


def test_a_refused_update_is_raised_at_the_end_of_the_block_and_changes_nothing(database, monkeypatch):
    monkeypatch.setattr(writes, "_UPDATES_BY_STATEMENT", 0)
    _seeded(database)
    before = _stored_values(database)
    ids, columns = _rewritten(database)
    columns.key = [columns.key[0]] * len(columns)  # every row under one key: the unique index refuses
    with (
        pytest.raises(IntegrityError),
        database.begin() as session,
        writes.writing_standings(session, ids, columns, columns.take([])),
    ):
        pass
    assert _stored_values(database) == before
