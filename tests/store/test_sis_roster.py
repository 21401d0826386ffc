from datetime import UTC, date, datetime, timedelta

from store.secret_box import SecretBox
from store.sis import ConnectionSettings, SisAuthKind, add_connection
from store.sis_roster import (
    class_contexts,
    count_records,
    find_record,
    mark_absent,
    upsert_records,
)

BOX = SecretBox.from_settings(None, "test")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _connection(session) -> int:
    return add_connection(session, BOX, ConnectionSettings(name="csv", auth_kind=SisAuthKind.NONE)).id


def _user(sourced_id: str, **extra):
    return {
        "sourced_id": sourced_id,
        "status": "active",
        "given_name": "G",
        "family_name": "F",
        "role": "student",
        **extra,
    }


def test_upsert_inserts_then_updates_by_sourced_id(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(session, "users", cid, [_user("u1", given_name="Renamed")], seen_at=T0)
    with database.begin() as session:
        assert count_records(session, "users", cid) == 2
        assert find_record(session, "users", cid, "u1").given_name == "Renamed"


def test_tobedeleted_is_marked_never_dropped(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(session, "users", cid, [_user("u1", status="tobedeleted")], seen_at=T0)
    with database.begin() as session:
        assert count_records(session, "users", cid) == 2
        assert count_records(session, "users", cid, status="tobedeleted") == 1


def test_full_pull_marks_what_it_no_longer_carries_and_a_return_reactivates(database):
    later = T0 + timedelta(hours=1)
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1"), _user("u2")], seen_at=T0)
        upsert_records(session, "users", cid, [_user("u1")], seen_at=later)
        assert mark_absent(session, "users", cid, seen_before=later) == 1
        gone = find_record(session, "users", cid, "u2")
        assert gone.status == "tobedeleted" and gone.marked_absent_at is not None
        upsert_records(session, "users", cid, [_user("u2")], seen_at=later)
        back = find_record(session, "users", cid, "u2")
        assert back.status == "active" and back.marked_absent_at is None


def test_records_of_two_connections_do_not_mix(database):
    with database.begin() as session:
        a = _connection(session)
        b = add_connection(session, BOX, ConnectionSettings(name="other", auth_kind=SisAuthKind.NONE)).id
        upsert_records(session, "users", a, [_user("u1")], seen_at=T0)
        upsert_records(session, "users", b, [_user("u1", given_name="B")], seen_at=T0)
        assert find_record(session, "users", a, "u1").given_name == "G"
        assert find_record(session, "users", b, "u1").given_name == "B"


def test_class_context_gives_school_and_term_dates(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(
            session,
            "academicSessions",
            cid,
            [
                {
                    "sourced_id": "t1",
                    "title": "Fall",
                    "type": "term",
                    "start_date": date(2025, 9, 1),
                    "end_date": date(2026, 1, 31),
                }
            ],
            seen_at=T0,
        )
        upsert_records(
            session,
            "classes",
            cid,
            [
                {"sourced_id": "k1", "school_sourced_id": "s1", "term_sourced_ids": ["t1"]},
                {"sourced_id": "k2", "school_sourced_id": "s1"},
            ],
            seen_at=T0,
        )
        contexts = class_contexts(session, cid, ["k1", "k2", "missing"])
    assert contexts["k1"].term_start == date(2025, 9, 1)
    assert contexts["k1"].school_sourced_id == "s1"
    assert contexts["k2"].term_sourced_id is None
    assert "missing" not in contexts


def test_a_column_left_out_keeps_its_stored_value(database):
    with database.begin() as session:
        cid = _connection(session)
        upsert_records(session, "users", cid, [_user("u1", role="teacher")], seen_at=T0)
        upsert_records(session, "users", cid, [{"sourced_id": "u1", "given_name": "New"}], seen_at=T0)
        upsert_records(session, "users", cid, [{"sourced_id": "u2", "given_name": "Fresh"}], seen_at=T0)
        assert find_record(session, "users", cid, "u1").role == "teacher"
        assert find_record(session, "users", cid, "u1").given_name == "New"
        fresh = find_record(session, "users", cid, "u2")
        assert (fresh.role, fresh.status, fresh.grades) == ("", "active", [])
