from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from store.people import User


def test_datetimes_come_back_aware_in_utc(database):
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    with database.begin() as session:
        session.add(User(issuer="https://lms", sub="1", last_launch_at=moment))
    with database.begin() as session:
        user = session.scalars(select(User)).one()
    assert user.last_launch_at == moment
    assert user.last_launch_at.tzinfo is not None


def test_naive_datetimes_are_refused(database):
    with pytest.raises(Exception, match="naive datetime"), database.begin() as session:
        session.add(User(issuer="https://lms", sub="1", last_launch_at=datetime(2026, 3, 1)))
        session.flush()


def test_a_failed_unit_of_work_stores_nothing(database):
    with pytest.raises(RuntimeError), database.begin() as session:
        session.add(User(issuer="https://lms", sub="1"))
        session.flush()
        raise RuntimeError("boom")
    with database.begin() as session:
        assert session.scalars(select(User)).all() == []
