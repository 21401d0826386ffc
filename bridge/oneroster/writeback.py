"""Writing standings to the SIS gradebook: a line item per standard, a result per student.

Everything is PUT by our stable sourcedIds (see `standings`), so a write is idempotent.
Before writing, each payload (without its `dateLastModified`) is hashed and compared with
the write ledger: only what changed is sent, so a second write-back of the same standings
sends nothing. Successes are confirmed in the ledger in batches as they come back. No intent
is recorded first (as AGS scores need): a PUT by our own sourcedId is idempotent, so a run
that dies midway simply re-sends the unconfirmed batch, and a rerun ends in the same state
with no duplicate line items.

Order: our category (once per connection), then the changed line items, then the results,
each phase concurrent up to the connection's cap. A result the SIS refuses (4xx) is recorded
as an error and the run goes on; a SIS that stops answering (retries exhausted) stops the run,
which records what it did and raises.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bridge.oneroster.client import GRADEBOOK, ROSTERING, OneRosterClient
from bridge.oneroster.models import Class
from bridge.oneroster.runs import RunRecorder
from bridge.oneroster.standings import (
    CATEGORY_ID,
    Payloads,
    PlannedResult,
    StandingResult,
    StandingsInvalid,
    plan_standings,
)
from pbridge.errors import PlatformError, PlatformRejected, PlatformUnavailable
from store.database import Database
from store.sis import SisVersion
from store.sis_roster import ClassContext, class_contexts
from store.sync_runs import RunStatus
from store.types import utcnow
from store.write_ledger import Intent, WriteKey, confirm_writes, last_written, payload_hash

log = logging.getLogger(__name__)

CLEARED = "cleared"


@dataclass(frozen=True)
class WriteBackReport:
    run_id: int
    status: RunStatus
    line_items_written: int
    results_written: int
    results_cleared: int
    unchanged: int
    failed: int
    requests: int
    errors: tuple[str, ...]


@dataclass(frozen=True)
class _Write:
    """One request to make, and what to remember once it succeeded."""

    key: WriteKey
    method: str
    path: str
    body: dict[str, Any] | None
    digest: str
    value: str | None
    class_sourced_id: str
    what: str
    needs: str | None = None  # the line item sourcedId that must have been written first


def _digest(wire: dict[str, Any]) -> str:
    return payload_hash({k: v for k, v in wire.items() if k != "dateLastModified"})


class _Ledger:
    """Successful writes waiting to be recorded, flushed in batches."""

    def __init__(self, database: Database, every: int) -> None:
        self.database = database
        self.every = every
        self.waiting: list[_Write] = []

    def add(self, write: _Write) -> None:
        self.waiting.append(write)
        if len(self.waiting) >= self.every:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        with self.database.begin() as session:
            confirm_writes(session, [Intent(w.key, w.value, w.digest) for w in self.waiting])
        self.waiting = []


def _resolve_contexts(
    database: Database, connection_id: int, client: OneRosterClient, classes: Sequence[str]
) -> dict[str, ClassContext]:
    """Classes' school and term from the synced roster, or asked of the SIS for the others."""
    with database.begin() as session:
        contexts = class_contexts(session, connection_id, classes)
    for class_id in classes:
        if class_id in contexts:
            continue
        try:
            data = client.get_json(ROSTERING, f"/classes/{class_id}", purpose="roster")
        except PlatformRejected as error:
            if error.status != 404:
                raise
            continue
        klass = Class.model_validate((data or {}).get("class", {}))
        contexts[class_id] = ClassContext(
            class_sourced_id=class_id,
            school_sourced_id=klass.school.sourced_id if klass.school else None,
            term_sourced_id=klass.terms[0].sourced_id if klass.terms else None,
            term_start=None,
            term_end=None,
        )
    return contexts


def write_back(
    database: Database,
    connection_id: int,
    client: OneRosterClient,
    standings: Sequence[StandingResult],
    *,
    scale: tuple[Decimal, Decimal] = (Decimal(1), Decimal(4)),
    trigger: str = "cli",
    now: Callable[[], datetime] = utcnow,
    flush_every: int = 200,
) -> WriteBackReport:
    """Write these standings to the SIS; only what changed since the last write is sent.

    Raises `StandingsInvalid` before any request when a standing is malformed, and the
    `PlatformUnavailable` that stopped a run after recording what it did.
    """
    plan = plan_standings(standings, scale=scale)
    contexts = _resolve_contexts(database, connection_id, client, plan.classes)
    payloads = Payloads(
        version=client.version,
        rostering_url=client.config.rostering_url,
        gradebook_url=client.config.gradebook_url,
        scale=scale,
        now=now(),
    )
    recorder = RunRecorder.start(
        database,
        trigger=trigger,
        scope={"connection": connection_id, "what": "gradebook write-back", "standings": len(standings)},
        units=list(plan.classes),
    )
    target = f"sis:{connection_id}"
    writes: list[_Write] = []
    broken: dict[str, str] = {}
    category = payloads.category().to_wire()
    writes.append(
        _Write(
            WriteKey("oneroster_category", target, CATEGORY_ID),
            "PUT",
            f"/categories/{CATEGORY_ID}",
            {"category": category},
            _digest(category),
            None,
            "",
            "our category",
        )
    )
    for item in plan.line_items:
        try:
            wire = payloads.line_item(item, contexts.get(item.class_sourced_id)).to_wire()
        except StandingsInvalid as error:
            broken[item.class_sourced_id] = str(error)
            continue
        writes.append(
            _Write(
                WriteKey("oneroster_line_item", target, item.sourced_id),
                "PUT",
                f"/lineItems/{item.sourced_id}",
                {"lineItem": wire},
                _digest(wire),
                None,
                item.class_sourced_id,
                f"line item {item.title!r}",
            )
        )
    for planned in plan.results:
        if planned.line_item.class_sourced_id in broken:
            continue
        writes.append(_result_write(payloads, planned, target))

    with database.begin() as session:
        previous = last_written(session, [w.key for w in writes])
    counts: dict[str, Counter[str]] = {c: Counter() for c in plan.classes}
    todo: list[_Write] = []
    for write in writes:
        stored = previous.get(write.key)
        if write.value == CLEARED and stored is None:
            continue  # nothing was ever written for this student: nothing to clear
        if stored == write.digest:
            if write.class_sourced_id and write.key.kind == "oneroster_result":
                counts[write.class_sourced_id]["unchanged"] += 1
            continue
        todo.append(write)

    for class_id, reason in broken.items():
        recorder.unit_failed(class_id, reason)
    requests_before = client.http.stats.requests
    ledger = _Ledger(database, flush_every)
    errors: list[str] = []
    failed_items: set[str] = set()
    stop: PlatformError | None = None
    phases = [
        [w for w in todo if w.key.kind == "oneroster_category"],
        [w for w in todo if w.key.kind == "oneroster_line_item"],
        [w for w in todo if w.key.kind == "oneroster_result"],
    ]
    try:
        for phase in phases:
            runnable = [w for w in phase if w.needs not in failed_items]
            for w in phase:
                if w.needs in failed_items:
                    counts[w.class_sourced_id]["failed"] += 1
            stop = _run_phase(client, runnable, ledger, counts, errors, failed_items)
            if stop is not None:
                break
    finally:
        ledger.flush()

    sent = Counter(w.class_sourced_id for w in todo if w.key.kind == "oneroster_result")
    with database.begin() as session:
        for class_id in plan.classes:
            if class_id in broken:
                continue
            c = counts[class_id]
            unsent = sent[class_id] - c["written"] - c["cleared"] - c["failed"]
            recorder.unit_done(
                session,
                class_id,
                written=c["written"] + c["cleared"],
                skipped=c["unchanged"],
                failed=c["failed"] + unsent,
            )
        for message in errors:
            recorder.error(session, message.split(":", 1)[0], message)
    requests = client.http.stats.requests - requests_before
    status = recorder.finish(requests=requests, stopped_by=stop)
    total = Counter[str]()
    for c in counts.values():
        total.update(c)
    report = WriteBackReport(
        run_id=recorder.run_id,
        status=status,
        line_items_written=sum(1 for w in todo if w.key.kind == "oneroster_line_item") - len(failed_items),
        results_written=total["written"],
        results_cleared=total["cleared"],
        unchanged=total["unchanged"],
        failed=total["failed"] + len(broken),
        requests=requests,
        errors=tuple(errors) + tuple(broken.values()),
    )
    log.info(
        "oneroster write-back run=%s status=%s written=%s unchanged=%s failed=%s requests=%s",
        report.run_id,
        report.status.value,
        report.results_written,
        report.unchanged,
        report.failed,
        requests,
    )
    if stop is not None:
        raise stop
    return report


def _result_write(payloads: Payloads, planned: PlannedResult, target: str) -> _Write:
    item = planned.line_item
    key = WriteKey("oneroster_result", f"{target}:{item.sourced_id}", planned.student_sourced_id)
    what = f"result of student {planned.student_sourced_id!r} on {item.title!r}"
    if planned.value is None and payloads.version is SisVersion.V1_1:
        return _Write(
            key,
            "DELETE",
            f"/results/{planned.sourced_id}",
            None,
            CLEARED,
            CLEARED,
            item.class_sourced_id,
            what,
            needs=item.sourced_id,
        )
    wire = payloads.result(planned).to_wire()
    value = CLEARED if planned.value is None else str(planned.value)
    return _Write(
        key,
        "PUT",
        f"/results/{planned.sourced_id}",
        {"result": wire},
        _digest(wire),
        value,
        item.class_sourced_id,
        what,
        needs=item.sourced_id,
    )


def _send(client: OneRosterClient, write: _Write) -> None:
    if write.method == "DELETE":
        client.delete(GRADEBOOK, write.path)
    else:
        client.put_json(GRADEBOOK, write.path, write.body)


def _run_phase(
    client: OneRosterClient,
    writes: list[_Write],
    ledger: _Ledger,
    counts: dict[str, Counter[str]],
    errors: list[str],
    failed_items: set[str],
) -> PlatformError | None:
    """Send a phase's writes concurrently; returns the error that stopped it, if any."""
    if not writes:
        return None
    stop: PlatformError | None = None
    with ThreadPoolExecutor(max_workers=client.config.max_concurrency, thread_name_prefix="or-write") as pool:
        futures: dict[Future[None], _Write] = {pool.submit(_send, client, w): w for w in writes}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                write = futures[future]
                error = future.exception() if not future.cancelled() else None
                if future.cancelled():
                    continue
                if error is None:
                    ledger.add(write)
                    if write.key.kind == "oneroster_result":
                        counts[write.class_sourced_id][
                            "cleared" if write.value == CLEARED else "written"
                        ] += 1
                    continue
                if isinstance(error, PlatformRejected):
                    errors.append(f"{write.what}: {error}")
                    if write.key.kind == "oneroster_line_item":
                        failed_items.add(write.key.subject)
                    if write.class_sourced_id:
                        counts[write.class_sourced_id]["failed"] += 1
                    continue
                if isinstance(error, PlatformUnavailable):
                    if stop is None:
                        stop = error
                        for other in pending:
                            other.cancel()
                    continue
                raise error
    return stop
