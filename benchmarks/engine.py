"""Proficiency engine figures: full recompute rows/s in memory and through the database,
and the latency of one incremental update. Prints figures; asserts nothing about time.

    python -m benchmarks.engine                      # full shape in memory, small database runs
    python -m benchmarks.engine --scale 0.1          # a tenth of the students, quicker
    python -m benchmarks.engine --db-students 2000 --postgres postgresql+psycopg://...

The synthetic district: students × indicators × observations (20 000 × 60 × 8 ≈ 10 M rows at
scale 1), levels on the 1–4 scale in half points, about 5 % formative, 2 % missing and 1 %
excluded, six courses of ten indicators, ten standards of six indicators.

Wall times on a shared machine include waiting for the CPU, so each figure also gives this
process's own CPU time, and the run starts with the load average. On PostgreSQL the line under
the values-only run is the server's floor: sending the same evidence and loading the same
standings alone (COPY out, and COPY in through the table's indexes), which no client can go
below.

A district policy change runs as the product runs it: pass after pass in one process, then on
`--workers` Celery worker processes (Redis db 12, or PBRIDGE_BENCH_REDIS_URL) sharing the passes.
The workers then run the first full recompute again, into the emptied table, as a deployment
with Redis runs a district recalculation. On SQLite the passes take turns at its one writer, so
it runs only the first way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from celery import Celery
from redis import Redis, RedisError
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bridge.jobs import make_celery
from bridge.recompute_runs import STUDENTS_PER_PASS, queue_district_recompute, run_district_recompute
from mappings.bulk import compute, counted_rows
from mappings.calculation import METHODS, MethodChoice, calculate
from mappings.evidence import Evidence, Purpose
from mappings.policy import Policy
from mappings.scale import default_scale
from pbridge.settings import Settings
from store.database import Database
from store.evidence import EvidenceRow, Observation, record_observations
from store.evidence_columns import copy_query
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator
from store.people import Course, User
from store.policies import set_district_policy
from store.recompute import recompute
from store.sync_runs import SyncRun

START = datetime(2026, 9, 1, tzinfo=UTC)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHOICES = {
    "decaying_average": {"weight": "0.65"},
    "weighted_average": {"weight": "0.65"},
    "n_mastery": {"n": "3"},
}


def synthetic_levels(rng: np.random.Generator, rows: int) -> np.ndarray:
    return rng.integers(2, 9, size=rows).astype(np.int64) * 50  # 1.0 .. 4.0 in halves


def in_memory(students: int, indicators: int, observations: int, methods: list[str]) -> None:
    rng = np.random.default_rng(1)
    groups = students * indicators
    rows = groups * observations
    group = np.repeat(np.arange(groups, dtype=np.int64), observations)
    level = synthetic_levels(rng, rows)
    purpose = np.where(rng.random(rows) < 0.05, 0, 1).astype(np.int8)
    has_level = rng.random(rows) >= 0.02
    excluded = rng.random(rows) < 0.01
    scale = default_scale(half_points=True)
    print(f"in memory: {students} students × {indicators} indicators × {observations} = {rows:,} rows")
    for name in methods:
        choice = MethodChoice.of(name, CHOICES.get(name, {}))
        began = time.perf_counter()
        counted = counted_rows(
            has_level=has_level,
            excluded=excluded,
            removed=np.zeros(rows, dtype=np.bool_),
            purpose=purpose,
            counts=np.ones(rows, dtype=np.int8),
            replaces=np.full(rows, -1, dtype=np.int64),
        )
        result = compute(group, level, counted, groups=groups, choice=choice, scale=scale)
        took = time.perf_counter() - began
        print(
            f"  {choice.describe():32} {took:7.2f} s  {rows / took:12,.0f} rows/s  "
            f"({int(result.has_value.sum()):,} standings)"
        )


def seed(
    db: Database, students: int, indicators: int, observations: int
) -> tuple[list[int], list[int], list[int]]:
    """A framework, users, courses and evidence, inserted in bulk (not timed)."""
    rng = np.random.default_rng(2)
    with db.begin() as session:
        set_district_policy(session, Policy())
        framework = Framework(code=f"BENCH-{uuid.uuid4().hex[:6]}", title="Benchmark")
        session.add(framework)
        session.flush()
        indicator_ids: list[int] = []
        per_standard = 6
        for s in range((indicators + per_standard - 1) // per_standard):
            standard = GraduationStandard(framework_id=framework.id, code=f"S{s}", title=f"S{s}")
            session.add(standard)
            session.flush()
            for i in range(per_standard):
                if len(indicator_ids) == indicators:
                    break
                indicator = PerformanceIndicator(
                    framework_id=framework.id, standard_id=standard.id, code=f"S{s}.PI{i}", title="PI"
                )
                session.add(indicator)
                session.flush()
                indicator_ids.append(indicator.id)
        users = [User(issuer="https://bench", sub=f"u{n}") for n in range(students)]
        courses = [Course(issuer="https://bench", context_id=f"c{n}") for n in range(6)]
        session.add_all(users + courses)
        session.flush()
        student_ids = [u.id for u in users]
        course_ids = [c.id for c in courses]
    levels = synthetic_levels(rng, students * indicators * observations)
    batch: list[dict[str, object]] = []
    n = 0
    with db.engine.begin() as conn:
        for s in student_ids:
            for k, i in enumerate(indicator_ids):
                for o in range(observations):
                    batch.append(
                        {
                            "student_id": s,
                            "indicator_id": i,
                            "course_id": course_ids[k * 6 // len(indicator_ids)],
                            "purpose": Purpose.SUMMATIVE,
                            "level": Decimal(int(levels[n])) / 100,
                            "assessed_at": START + timedelta(days=o * 7 + int(rng.integers(0, 6))),
                            "source": "bench",
                            "source_ref": f"{s}/{i}/{o}",
                            "attempt": 1,
                        }
                    )
                    n += 1
                if len(batch) >= 20_000:
                    conn.execute(insert(EvidenceRow), batch)
                    batch = []
        if batch:
            conn.execute(insert(EvidenceRow), batch)
    return student_ids, indicator_ids, course_ids


def through_database(
    label: str, url: str, students: int, indicators: int, observations: int, updates: int, workers: int
) -> None:
    db = Database(url)
    db.create_all()
    student_ids, indicator_ids, course_ids = seed(db, students, indicators, observations)
    rows = students * indicators * observations
    print(f"{label}: {students} students × {indicators} indicators × {observations} = {rows:,} rows")
    for explain in (False, True):
        if explain:
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM standings"))
        began, cpu = time.perf_counter(), time.process_time()
        with db.begin() as session:
            changes = recompute(session, explain=explain)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        what = "with explanations" if explain else "values, explanations on read"
        print(
            f"  full recompute, {what:30} {took:7.2f} s  {rows / took:10,.0f} rows/s  "
            f"({len(changes):,} standings written; {cpu:.2f} s CPU here)"
        )
        if not explain and db.engine.dialect.name == "postgresql":
            server_floor(db, rows)
    policy_change(db, rows, students, workers)
    settle(db)
    before = reference_ms()
    rng = np.random.default_rng(3)
    latencies, cpu_times = [], []
    for n in range(updates):
        s = student_ids[int(rng.integers(len(student_ids)))]
        k = int(rng.integers(len(indicator_ids)))
        c = course_ids[k * 6 // len(indicator_ids)]
        observation = Observation(
            student_id=s,
            indicator_id=indicator_ids[k],
            course_id=c,
            source="bench-update",
            source_ref=f"update/{n}",
            assessed_at=START + timedelta(days=100 + n),
            level=Decimal(int(rng.integers(2, 9)) * 50) / 100,
        )
        began, cpu = time.perf_counter(), time.process_time()
        with db.begin() as session:
            keys = record_observations(session, [observation])
            recompute(session, keys)
        latencies.append((time.perf_counter() - began) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
    reference = (before + reference_ms()) / 2
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"  one incremental update (record + recompute + commit), {updates} runs: "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms ({statistics.median(cpu_times):.2f} ms CPU here)"
    )
    print(
        f"  {'':16}baseline, same process: one explained calculation (8 scores, decaying "
        f"average) {reference:.3f} ms; the update's p50 is {p50 / reference:.1f} of them"
    )
    db.dispose()


def policy_change(db: Database, rows: int, students: int, workers: int) -> None:
    """What an admin's new district policy costs: the recorded run the policy page queues,
    in passes of students, every standing rewritten (not inserted, as in the runs above).
    First as a background thread runs it, pass after pass (passes of the default size, then
    of a share of the students each); then with that many Celery worker processes sharing
    the passes, as a deployment with Redis runs it, and on those workers a first full
    recompute (every standing inserted), the figure to set beside the one-process run's."""
    share = max(1, -(-students // workers))
    parallel = db.engine.dialect.name == "postgresql"
    sizes = [("highest", STUDENTS_PER_PASS), ("latest", share)][: 2 if parallel else 1]
    for method, size in sizes:
        run_id = _queue_policy_change(db, method)
        began, cpu = time.perf_counter(), time.process_time()
        run = run_district_recompute(db, run_id, students_per_pass=size)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        print(
            f"  district policy change, pass after pass ({run.units_total} part(s) of at most "
            f"{size:,} students) {took:7.2f} s  {rows / took:10,.0f} rows/s  "
            f"({run.computed:,} standings changed, {run.status.value}; {cpu:.2f} s CPU here)"
        )
    if not parallel:
        return
    with celery_workers(db, workers, share) as app:
        if app is None:
            print("  district policy change on Celery workers: Redis not reachable; skipped")
            return
        # first on worker processes that have done nothing yet, then again once each has
        # connected and read the catalogue: a district's later passes find them so
        for method, when in (("highest", "fresh"), ("latest", "warm")):
            run, took = _on_workers(app, db, _queue_policy_change(db, method))
            print(
                f"  district policy change on {workers} Celery worker processes, {when} ({run.units_total} "
                f"part(s) of at most {share:,} students) {took:7.2f} s  {rows / took:10,.0f} rows/s  "
                f"({run.computed:,} standings changed, {run.status.value})"
            )
        # the first full recompute again (every standing inserted into an empty table), as a
        # deployment with Redis runs a district recalculation: a recorded run, on the workers
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("TRUNCATE standings"))
            conn.execute(text("VACUUM ANALYZE standings"))
        with db.begin() as session:
            run_id = queue_district_recompute(session, trigger="benchmark", reason="first full recompute")
        run, took = _on_workers(app, db, run_id)
        print(
            f"  full recompute on {workers} Celery worker processes, warm, into an empty table "
            f"({run.units_total} part(s) of at most {share:,} students) {took:7.2f} s  "
            f"{rows / took:10,.0f} rows/s  ({run.computed:,} standings written, {run.status.value})"
        )


def _on_workers(app: Celery, db: Database, run_id: int) -> tuple[SyncRun, float]:
    """A queued district recompute handed to the workers: the finished run, and the seconds
    from handing it over to its close."""
    began = time.perf_counter()
    app.send_task("pbridge.recompute_district", args=[run_id])
    run = _finished(db, run_id)
    return run, time.perf_counter() - began


def _finished(db: Database, run_id: int) -> SyncRun:
    """The run once the workers have closed it (looked at every 10 ms)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with db.begin() as session:
            run = session.get(SyncRun, run_id)
            if run is not None and run.finished_at is not None:
                session.expunge(run)
                return run
        time.sleep(0.01)
    raise RuntimeError(f"the workers did not finish run {run_id} in 10 minutes")


def _queue_policy_change(db: Database, method: str) -> int:
    with db.begin() as session:
        set_district_policy(session, Policy(method=MethodChoice.of(method, {})))
        return queue_district_recompute(session, trigger="benchmark", reason="policy changed")


@contextmanager
def celery_workers(db: Database, processes: int, students_per_pass: int) -> Iterator[Celery | None]:
    """A Celery worker with this many processes on a Redis database of its own (started,
    answering, then stopped); None when Redis does not answer."""
    redis_url = os.environ.get("PBRIDGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    try:
        client = Redis.from_url(redis_url, socket_connect_timeout=2)
        client.flushdb()
    except RedisError:
        yield None
        return
    settings = Settings(database_url=db.url, redis_url=redis_url, secret_key=uuid.uuid4().hex * 2)
    environment = {
        **os.environ,
        "DATABASE_URL": db.url,
        "REDIS_URL": redis_url,
        "PBRIDGE_SECRET_KEY": settings.secret_key,
        "PBRIDGE_RECOMPUTE_PASS_STUDENTS": str(students_per_pass),
        "PBRIDGE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "celery", "-A", "bridge.worker", "worker", "--loglevel", "WARNING"]
    command += ["--concurrency", str(processes), "--without-gossip", "--without-mingle"]
    worker = subprocess.Popen(  # its banner stays out of the figures; its warnings do not
        command, env=environment, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL
    )
    app = make_celery(settings)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        yield app
    finally:
        worker.terminate()
        worker.wait(30)
        client.flushdb()
        client.close()


def reference_ms(runs: int = 400) -> float:
    """The median time of one explained calculation over one body of eight scores: a
    baseline in this process for the update's latency, since this machine's speed can change
    by half within the hour, and the update's own work is mostly such Python."""
    scale = default_scale(half_points=True)
    choice = MethodChoice.of("decaying_average", CHOICES["decaying_average"])
    body = [
        Evidence(
            ref=str(n),
            student="s",
            indicator="i",
            level=Decimal(level),
            assessed_at=START + timedelta(days=7 * n),
        )
        for n, level in enumerate(("2", "2.5", "3", "2.5", "3", "3.5", "3", "4"))
    ]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        calculate(body, choice, scale=scale)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def settle(db: Database) -> None:
    """Vacuum and analyse after the runs above: emptying the standings between them left
    tens of thousands of dead rows, and the autovacuum they call for would otherwise run on
    one of the two cores while the one-score updates are timed."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        if db.engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def server_floor(db: Database, rows: int) -> None:
    """How long PostgreSQL alone takes to do its part of a values-only run: produce the
    evidence rows the run reads (EXPLAIN ANALYZE runs the query whole, every row projected,
    and sends none), and load the standings it just wrote (into the emptied table, inside a
    transaction it rolls back: nothing changes). Beside it, what the driver takes to receive
    the evidence by COPY, one message per row: the client's share of the read, which no
    server-side change shortens."""
    with db.engine.connect() as conn:
        evidence_sql = str(copy_query().compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            producing = receiving = float("inf")
            for _ in range(3):
                plan = cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {evidence_sql}").fetchone()
                producing = min(producing, plan[0][0]["Execution Time"] / 1000 if plan else 0.0)
                began = time.perf_counter()
                with cursor.copy(f"COPY ({evidence_sql}) TO STDOUT (FORMAT BINARY)") as copy:
                    for _block in copy:
                        pass
                receiving = min(receiving, time.perf_counter() - began)
            data = bytearray()
            with cursor.copy("COPY standings TO STDOUT") as copy:
                for block in copy:
                    data += block
            standings = cursor.execute("SELECT count(*) FROM standings").fetchone()
            loading = float("inf")
            for _ in range(3):
                cursor.execute("TRUNCATE standings")  # an empty table, as the first full run had
                began = time.perf_counter()
                with cursor.copy("COPY standings FROM STDIN") as copy:
                    copy.write(data)
                loading = min(loading, time.perf_counter() - began)
                driver.rollback()
    count = standings[0] if standings else 0
    both = producing + loading
    print(
        f"  {'':16}the server alone: producing the {rows:,} evidence rows {producing:.2f} s, loading "
        f"those {count:,} standings (COPY and indexes) {loading:.2f} s; together at most "
        f"{rows / both:,.0f} rows/s end to end"
    )
    print(
        f"  {'':16}the driver receiving those evidence rows by COPY (a message each): {receiving:.2f} s, "
        f"the read's floor on this client"
    )


def postgres_reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # noqa: BLE001 (any failure means: not reachable, skip it)
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=20_000, help="students in memory at scale 1")
    parser.add_argument("--indicators", type=int, default=60)
    parser.add_argument("--observations", type=int, default=8)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of --students to use in memory")
    parser.add_argument("--methods", default="all", help="comma-separated, or 'all'")
    parser.add_argument("--db-students", type=int, default=500, help="students in the database runs")
    parser.add_argument("--updates", type=int, default=300, help="incremental updates to time")
    parser.add_argument(
        "--workers", type=int, default=2, help="Celery worker processes sharing a policy change (PostgreSQL)"
    )
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (1, 5, 15 min)")
    methods = list(METHODS) if args.methods == "all" else [m.strip() for m in args.methods.split(",")]
    if not args.skip_memory:
        in_memory(max(1, int(args.students * args.scale)), args.indicators, args.observations, methods)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            through_database(
                "SQLite", url, args.db_students, args.indicators, args.observations, args.updates, 1
            )
    if not args.skip_postgres:
        admin_url = args.postgres
        if not postgres_reachable(admin_url):
            print(f"PostgreSQL: not reachable at {make_url(admin_url).host}; skipped")
            return
        name = f"pbbench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
            through_database(
                "PostgreSQL",
                url,
                args.db_students,
                args.indicators,
                args.observations,
                args.updates,
                args.workers,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
