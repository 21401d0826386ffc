"""Roster sync: orgs, academic sessions, courses, classes, users, enrollments and
demographics from a SIS.

All seven collections are paged at once (up to the connection's concurrency cap), while one
writer stores them collection by collection: each collection is a unit, upserted in one
transaction that commits or changes nothing. A collection that fails (the SIS gives up, a
record it cannot read) leaves its rows and its delta watermark as they were, and the run
says which and why; the others still land.

Delta: after a collection synced, its watermark is the time the sync *started*; the next
sync asks only ``dateLastModified>'watermark - 5 min'`` (the overlap absorbs clock skew
between us and the SIS; re-reading a few records is harmless, upserts are idempotent). A full
sync (the first, or `full=True`) reads everything and then marks `tobedeleted` what the SIS
no longer carries. Afterwards SIS users and classes are linked to LTI users and courses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bridge.oneroster.client import CollectionQuery, OneRosterClient, Page, delta_filter
from bridge.oneroster.models import ROSTER_MODELS
from bridge.oneroster.records import ROW_OF
from bridge.oneroster.runs import RunRecorder
from pbridge.errors import PlatformError, PlatformRejected, ProficiencyBridgeError
from store.database import Database
from store.sis import SisConnection
from store.sis_links import LinkReport, link_to_lti
from store.sis_roster import mark_absent, upsert_records
from store.sync_runs import RunStatus
from store.types import utcnow

log = logging.getLogger(__name__)

ROSTER_COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)
OVERLAP = timedelta(minutes=5)


class RosterRecordInvalid(ProficiencyBridgeError):
    """A record the SIS sent cannot be read; names the collection, record and member."""


@dataclass(frozen=True)
class CollectionReport:
    collection: str
    delta: bool
    pulled: int = 0
    marked_absent: int = 0
    error: str = ""


@dataclass(frozen=True)
class RosterSyncReport:
    run_id: int
    status: RunStatus
    collections: tuple[CollectionReport, ...]
    requests: int
    links: LinkReport | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pulled(self) -> int:
        return sum(c.pulled for c in self.collections)


def _rows(collection: str, page: Page) -> list[dict[str, object]]:
    model = ROSTER_MODELS[collection]
    to_row = ROW_OF[collection]
    rows = []
    for position, item in enumerate(page.items):
        try:
            rows.append(to_row(model.model_validate(item)))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "record"
            sourced_id = item.get("sourcedId", "?") if isinstance(item, dict) else "?"
            raise RosterRecordInvalid(
                f"{collection} record {sourced_id!r} (offset {page.offset + position}): "
                f"{where}: {first['msg']}; the SIS must fix this record"
            ) from None
    return rows


def _prepare(page: Page) -> list[dict[str, object]] | RosterRecordInvalid:
    """Rows of a page, or why it cannot be read (run in the fetching thread)."""
    try:
        return _rows(page.query.key, page)
    except RosterRecordInvalid as error:
        return error


#: collections a SIS may keep behind a scope of their own; refused, they are skipped
OPTIONAL_COLLECTIONS = ("demographics",)


def sync_roster(
    database: Database,
    connection_id: int,
    client: OneRosterClient,
    *,
    full: bool = False,
    trigger: str = "cli",
    collections: Sequence[str] = ROSTER_COLLECTIONS,
    now: Callable[[], datetime] = utcnow,
) -> RosterSyncReport:
    """Pull the roster into the store; raises the `PlatformError` that stopped a run.

    Returns what each collection did. The run (kind "sis") is recorded as it goes.
    Demographics come in a run of their own after the rest: many SIS grant their scope
    (`roster-demographics.readonly`) to few clients, and a refusal there must not cost the
    district its roster; it is reported and the roster stands.
    """
    required = [c for c in collections if c not in OPTIONAL_COLLECTIONS]
    optional = [c for c in collections if c in OPTIONAL_COLLECTIONS]
    report = (
        _sync_collections(
            database, connection_id, client, full=full, trigger=trigger, collections=required, now=now
        )
        if required
        else None
    )
    for collection in optional:
        try:
            extra = _sync_collections(
                database, connection_id, client, full=full, trigger=trigger, collections=[collection], now=now
            )
        except PlatformRejected as error:
            if error.status not in (401, 403):
                raise
            note = (
                f"{collection} not imported: the SIS refused them ({error.status}); "
                "grant the client their scope to include them"
            )
            log.info("oneroster %s skipped: status=%s", collection, error.status)
            if report is None:
                raise
            report = replace(report, errors=(*report.errors, note))
            continue
        report = (
            extra
            if report is None
            else replace(
                report,
                collections=(*report.collections, *extra.collections),
                requests=report.requests + extra.requests,
                errors=(*report.errors, *extra.errors),
            )
        )
    assert report is not None
    return report


def _sync_collections(
    database: Database,
    connection_id: int,
    client: OneRosterClient,
    *,
    full: bool,
    trigger: str,
    collections: Sequence[str],
    now: Callable[[], datetime],
) -> RosterSyncReport:
    started = now()
    with database.begin() as session:
        connection = session.get(SisConnection, connection_id)
        if connection is None:
            raise ProficiencyBridgeError(f"no SIS connection with id {connection_id}")
        watermarks = dict(connection.sync_state.get("watermarks", {}))
    queries = []
    for collection in collections:
        since = None if full else watermarks.get(collection)
        queries.append(
            CollectionQuery(
                key=collection,
                path=f"/{collection}",
                filter=delta_filter(datetime.fromisoformat(since) - OVERLAP) if since else None,
            )
        )
    recorder = RunRecorder.start(
        database,
        trigger=trigger,
        scope={"connection": connection_id, "what": "roster", "full": full},
        units=list(collections),
    )
    requests_before = client.http.stats.requests
    writer = _CollectionWriter(database, recorder, connection_id, started)
    buffered: dict[str, list[Page]] = {c: [] for c in collections}
    order = [query.key for query in queries]
    delta = {query.key: query.filter is not None for query in queries}
    failure: PlatformError | None = None
    try:
        for page in client.pages(queries, prepare=_prepare):
            buffered[page.query.key].append(page)
            # the writer takes collections in order, each page as soon as it is its turn, so
            # storing overlaps with fetching; later collections wait in `buffered`
            while order:
                current = order[0]
                writer.begin(current, delta=delta[current])
                while buffered[current]:
                    waiting = buffered[current].pop(0)
                    writer.write(waiting)
                    if waiting.last:
                        writer.commit()
                        order.pop(0)
                        break
                else:
                    break
    except PlatformError as error:
        failure = error
        writer.abandon()
        for collection in order:
            recorder.unit_failed(collection, str(error), status=error.status)
            writer.reports[collection] = CollectionReport(collection, delta[collection], error=str(error))
    except BaseException:
        writer.abandon()
        raise

    links = None
    if failure is None:
        with database.begin() as session:
            links = link_to_lti(session, connection_id)
    requests = client.http.stats.requests - requests_before
    status = recorder.finish(requests=requests, stopped_by=failure)
    report = RosterSyncReport(
        run_id=recorder.run_id,
        status=status,
        collections=tuple(writer.reports[c] for c in collections if c in writer.reports),
        requests=requests,
        links=links,
        errors=tuple(r.error for r in writer.reports.values() if r.error),
    )
    log.info(
        "oneroster roster sync run=%s status=%s pulled=%s requests=%s",
        report.run_id,
        status.value,
        report.pulled,
        requests,
    )
    if failure is not None:
        raise failure
    return report


class _CollectionWriter:
    """Stores one collection at a time in its own transaction (the unit), page by page."""

    def __init__(
        self, database: Database, recorder: RunRecorder, connection_id: int, started: datetime
    ) -> None:
        self.database = database
        self.recorder = recorder
        self.connection_id = connection_id
        self.started = started
        self.reports: dict[str, CollectionReport] = {}
        self.collection: str | None = None
        self.delta = False
        self.session: Session | None = None
        self.pulled = 0
        self.error = ""

    def begin(self, collection: str, *, delta: bool) -> None:
        if self.collection == collection:
            return
        self.collection, self.delta, self.pulled, self.error = collection, delta, 0, ""
        self.session = self.database.sessions()
        self.session.begin()

    def write(self, page: Page) -> None:
        assert self.session is not None and self.collection is not None
        if self.error:
            return  # the unit failed: the rest of its pages are read and dropped
        if isinstance(page.prepared, RosterRecordInvalid):
            self.error = str(page.prepared)
            self.session.rollback()
            return
        rows = page.prepared
        self.pulled += upsert_records(
            self.session, self.collection, self.connection_id, rows, seen_at=self.started
        )

    def commit(self) -> None:
        assert self.session is not None and self.collection is not None
        collection, session = self.collection, self.session
        self.collection, self.session = None, None
        if self.error:
            session.close()
            self.reports[collection] = CollectionReport(collection, self.delta, error=self.error)
            self.recorder.unit_failed(collection, self.error)
            return
        try:
            marked = 0
            if not self.delta:
                marked = mark_absent(session, collection, self.connection_id, seen_before=self.started)
            _advance_watermark(session, self.connection_id, collection, self.started)
            self.recorder.unit_done(session, collection, pulled=self.pulled, written=self.pulled)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        self.reports[collection] = CollectionReport(collection, self.delta, self.pulled, marked)

    def abandon(self) -> None:
        if self.session is not None:
            self.session.rollback()
            self.session.close()
            self.session, self.collection = None, None


def _advance_watermark(session: Session, connection_id: int, collection: str, started: datetime) -> None:
    connection = session.get(SisConnection, connection_id)
    assert connection is not None
    state = dict(connection.sync_state or {})
    watermarks = dict(state.get("watermarks", {}))
    watermarks[collection] = started.isoformat()
    state["watermarks"] = watermarks
    connection.sync_state = state
