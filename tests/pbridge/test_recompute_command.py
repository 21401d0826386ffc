"""`pbridge recompute`: the district recalculation the policy page starts, from a terminal."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from mappings.calculation import MethodChoice
from mappings.policy import Policy
from pbridge.cli import main
from store.evidence import record_observations
from store.migrate import stamp_head
from store.policies import set_district_policy
from store.recompute import recompute
from store.standings import StandingRow
from store.sync_runs import SyncRun
from tests.store.district import make_district, observation


def _district(database, monkeypatch) -> None:
    """Three students' scores with standings under the default policy, then a new policy
    saved without recalculating."""
    with database.begin() as session:
        d = make_district(session)
        record_observations(
            session,
            [
                observation(student, d.math_indicators[0], d.courses[0], level, day, f"{student}-{day}")
                for student in d.students
                for day, level in enumerate((1, 4, 2))
            ],
        )
        recompute(session)
        set_district_policy(session, Policy(method=MethodChoice.of("highest", {})))
    stamp_head(database.url)  # the fixture made the schema; the CLI wants it marked current
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.delenv("REDIS_URL", raising=False)


def test_the_command_recalculates_in_passes_and_says_what_changed(database, monkeypatch):
    _district(database, monkeypatch)
    result = CliRunner().invoke(main, ["recompute", "--students-per-pass", "2"])
    assert result.exit_code == 0, result.output
    assert "succeeded: 3 students in 2 pass(es) of at most 2" in result.output
    with database.begin() as session:
        methods = set(session.scalars(select(StandingRow.method).where(StandingRow.kind == "indicator")))
        run = session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    assert methods == {"highest"}
    assert (run.kind, run.trigger) == ("recompute", "cli")
    assert f"{run.computed:,} standings changed" in result.output and run.computed > 0


def test_queueing_needs_the_workers_redis(database, monkeypatch):
    _district(database, monkeypatch)
    result = CliRunner().invoke(main, ["recompute", "--queue"])
    assert result.exit_code == 1
    assert "--queue needs REDIS_URL" in result.output
    with database.begin() as session:
        assert session.scalars(select(SyncRun)).first() is None  # nothing recorded


def test_a_pass_size_below_one_is_refused(database, monkeypatch):
    _district(database, monkeypatch)
    result = CliRunner().invoke(main, ["recompute", "--students-per-pass", "0"])
    assert result.exit_code == 2
    assert "--students-per-pass" in result.output


def test_a_failed_recalculation_names_its_passes_and_exits_non_zero(database, monkeypatch):
    import bridge.recompute_runs

    _district(database, monkeypatch)
    before = _indicator_values(database)

    def broken(session, **kwargs):
        raise ValueError("internals")

    monkeypatch.setattr(bridge.recompute_runs, "recompute", broken)
    result = CliRunner().invoke(main, ["recompute"])
    assert result.exit_code == 1
    assert "failed: 3 students in 1 pass(es)" in result.output
    assert "students 1–3 of 3: an unexpected error stopped it; see the tool's log" in result.output
    assert _indicator_values(database) == before


def _indicator_values(database) -> dict[str, object]:
    with database.begin() as session:
        return dict(session.execute(select(StandingRow.key, StandingRow.value)).all())


def test_the_command_waits_for_a_recalculation_under_way_and_says_so(database, monkeypatch):
    import pbridge.commands.recompute as command
    from bridge.runs import release_lock, take_lock

    _district(database, monkeypatch)
    assert take_lock(database, 999, kind="recompute", key="district")  # another run holds it

    def pause(_seconds: float) -> None:
        release_lock(database, kind="recompute", key="district")  # which then finishes

    monkeypatch.setattr(command.time, "sleep", pause)
    result = CliRunner().invoke(main, ["recompute"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Waiting for the district recalculation already under way") == 1
    assert "succeeded" in result.output
