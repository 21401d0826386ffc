"""The SIS bridge against the sandbox SIS over real HTTP on loopback, with injected latency.

    python -m benchmarks.oneroster [--scale 1.0] [--latency-ms 50] [--concurrency 4]
                                   [--page-size 100] [--write-latency-ms 10]
                                   [--write-concurrency 16] [--results 20000]

A synthetic district (at scale 1: 50 000 users, 2 000 classes, 150 000 enrollments) served
by the sandbox in its own process (threaded werkzeug, so the SIS does not share our GIL).
Prints, for a full roster sync, a delta sync with nothing changed, and a gradebook
write-back of `--results` standings: requests made vs the minimum, and wall time vs the
lower bound at the configured concurrency (one round trip for the token, then
ceil(remaining requests / concurrency) round trips of the injected latency). Then the CSV
import of the same district (as the sandbox writes it, OneRoster 1.2) in rows per second.
Targets: roster sync within 1.3x of its lower bound; CSV import under 30 s. Asserts nothing.

The bound counts round trips only. With large pages and low latency the sync is CPU-bound
instead (parsing and storing ~15-20 000 records/s in one Python process); `--page-size 1000`
shows that floor.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


@dataclass(frozen=True)
class Size:
    users: int
    classes: int
    enrollments: int
    results: int

    @classmethod
    def at(cls, scale: float, results: int) -> Size:
        return cls(
            users=max(50, round(50_000 * scale)),
            classes=max(5, round(2_000 * scale)),
            enrollments=max(60, round(150_000 * scale)),
            results=max(10, round(results * scale)),
        )


def _district(size: Size) -> Any:
    from sandbox.oneroster import OneRosterState, seed_district, seed_gradebook_category

    state = OneRosterState(max_limit=10_000)
    state.add_client(CLIENT_ID, CLIENT_SECRET)
    seed_district(state, schools=10, users=size.users, classes=size.classes, enrollments=size.enrollments)
    seed_gradebook_category(state)
    return state


def _serve(size: Size, ready: Any) -> None:
    """The child process: seed, serve, report the port; runs until terminated."""
    import logging

    from werkzeug.serving import make_server

    from sandbox.oneroster import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(_district(size))
    app.extensions["oneroster.api"].prerender()  # a real SIS serves from its database, warm
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ready.send(server.port)
    server.serve_forever()


def _bound(requests: int, latency: float, concurrency: int) -> float:
    """Token first, then the rest `concurrency` at a time, each at least one latency."""
    return latency + math.ceil(max(0, requests - 1) / concurrency) * latency


def _line(name: str, requests: int, minimum: int, wall: float, bound: float, extra: str = "") -> None:
    print(
        f"{name:<22} requests {requests:>6} (minimum {minimum:>6})   wall {wall:7.2f} s "
        f"(lower bound {bound:6.2f} s, x{wall / bound if bound else float('nan'):.2f}){extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="district size, 1.0 = 50 000 users")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=100, help="the spec's default limit")
    parser.add_argument("--results", type=int, default=20_000, help="standings to write back (at scale 1)")
    parser.add_argument("--write-latency-ms", type=float, default=10.0)
    parser.add_argument("--write-concurrency", type=int, default=16)
    args = parser.parse_args()
    size = Size.at(args.scale, args.results)

    from bridge.oneroster.client import OneRosterClient, SisConfig
    from bridge.oneroster.csv_import import import_csv_zip
    from bridge.oneroster.roster_sync import ROSTER_COLLECTIONS, sync_roster
    from bridge.oneroster.standings import StandingResult, plan_standings
    from bridge.oneroster.writeback import write_back
    from sandbox.oneroster.csv_bulk import district_csv_zip
    from store.database import Database
    from store.secret_box import SecretBox
    from store.sis import ConnectionSettings, SisAuthKind, add_connection
    from store.sis_roster import SisEnrollment

    print(
        f"district: {size.users} users, {size.classes} classes, {size.enrollments} enrollments; "
        f"page size {args.page_size}, latency {args.latency_ms:g} ms, concurrency {args.concurrency}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=_serve, args=(size, send), daemon=True)
    child.start()
    try:
        port = receive.recv()
        base = f"http://127.0.0.1:{port}"
        control = httpx.Client(base_url=base, timeout=30)
        counts = control.get("/_sandbox/stats").json()["records"]

        workdir = Path(tempfile.mkdtemp(prefix="pb-oneroster-"))
        database = Database(f"sqlite:///{workdir / 'bench.db'}")
        database.create_all()
        box = SecretBox.from_settings(None, "benchmark")
        with database.begin() as session:
            row = add_connection(
                session,
                box,
                ConnectionSettings(
                    name="bench",
                    base_url=base,
                    token_url=f"{base}/oauth/token",
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    page_size=args.page_size,
                    max_concurrency=args.concurrency,
                ),
            )
            connection_id, config = row.id, SisConfig.from_connection(row, box)

        latency = args.latency_ms / 1000
        control.put("/_sandbox/faults", json=[{"latency_ms": args.latency_ms}])
        pages = sum(math.ceil(counts[c] / args.page_size) or 1 for c in ROSTER_COLLECTIONS)
        minimum = 1 + pages
        started, cpu = time.perf_counter(), time.process_time()
        report = sync_roster(database, connection_id, OneRosterClient.connect(config))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = report.pulled
        _line(
            "roster sync (full)",
            report.requests,
            minimum,
            wall,
            _bound(minimum, latency, args.concurrency),
            f"   {rows} records, {rows / wall:,.0f} records/s; our CPU {cpu:.1f} s",
        )

        started = time.perf_counter()
        delta = sync_roster(database, connection_id, OneRosterClient.connect(config))
        wall = time.perf_counter() - started
        minimum = len(ROSTER_COLLECTIONS)  # the token is cached from the full sync
        _line(
            "roster sync (delta)",
            delta.requests,
            minimum,
            wall,
            math.ceil(minimum / args.concurrency) * latency,
            f"   {delta.pulled} changed (the SIS filters 200 000 records per request)",
        )

        # write-back: whole classes, two standards per student, until --results standings
        standings: list[StandingResult] = []
        with database.begin() as session:
            enrollments = session.execute(
                SisEnrollment.__table__.select()
                .where(SisEnrollment.connection_id == connection_id, SisEnrollment.role == "student")
                .order_by(SisEnrollment.class_sourced_id, SisEnrollment.user_sourced_id)
            ).all()
        for enrollment in enrollments:
            for code, title in (("MATH.1", "Number sense"), ("ELA.2", "Writing")):
                standings.append(
                    StandingResult(
                        enrollment.class_sourced_id,
                        enrollment.user_sourced_id,
                        code,
                        title,
                        None,
                        Decimal(1 + len(standings) % 4),
                        None,
                        date(2025, 10, 1),
                    )
                )
            if len(standings) >= size.results:
                break
        plan = plan_standings(standings)
        write_latency = args.write_latency_ms / 1000
        control.put("/_sandbox/faults", json=[{"latency_ms": args.write_latency_ms}])
        writer = OneRosterClient.connect(
            SisConfig(**{**config.__dict__, "max_concurrency": args.write_concurrency}), timeout=60
        )
        minimum = 1 + 1 + len(plan.line_items) + len(plan.results)
        bound = (
            write_latency  # token
            + write_latency  # our category
            + math.ceil(len(plan.line_items) / args.write_concurrency) * write_latency
            + math.ceil(len(plan.results) / args.write_concurrency) * write_latency
        )
        started, cpu = time.perf_counter(), time.process_time()
        written = write_back(database, connection_id, writer, standings)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        _line(
            "gradebook write-back",
            written.requests,
            minimum,
            wall,
            bound,
            f"   {written.results_written} results, {len(plan.line_items)} line items "
            f"(concurrency {args.write_concurrency}, latency {args.write_latency_ms:g} ms); "
            f"our CPU {cpu:.1f} s",
        )
        started = time.perf_counter()
        again = write_back(database, connection_id, writer, standings)
        wall = time.perf_counter() - started
        print(
            f"{'write-back unchanged':<22} requests {again.requests:>6} (minimum      0)   wall {wall:7.2f} s"
            f"   {again.unchanged} unchanged"
        )
    finally:
        child.terminate()
        child.join(timeout=10)

    state = _district(size)
    archive = district_csv_zip(state, version="1.2")
    with database.begin() as session:
        csv_connection = add_connection(
            session, box, ConnectionSettings(name="csv", auth_kind=SisAuthKind.NONE)
        ).id
    started = time.perf_counter()
    with database.begin() as session:
        imported = import_csv_zip(session, csv_connection, archive)
    wall = time.perf_counter() - started
    print(
        f"{'CSV import (1.2 zip)':<22} {imported.rows} rows in {wall:.2f} s "
        f"= {imported.rows / wall:,.0f} rows/s "
        f"({len(archive) / 1e6:.1f} MB zip; target under 30 s)"
    )


if __name__ == "__main__":
    main()
