from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.oneroster.csv_export import export_standings_csv
from bridge.oneroster.csv_import import import_csv_zip, read_csv_zip
from bridge.oneroster.roster_sync import sync_roster
from bridge.oneroster.standings import StandingResult, StandingsInvalid
from bridge.oneroster.writeback import write_back
from pbridge.errors import CsvImportError, ProficiencyBridgeError
from sandbox.oneroster import OneRosterState, seed_district
from sandbox.oneroster.csv_bulk import district_csv_zip
from store.secret_box import SecretBox
from store.sis import ConnectionSettings, SisAuthKind, SisResult, add_connection
from store.sis_roster import ClassContext, count_records, find_record

BOX = SecretBox.from_settings(None, "csv tests")
NOW = datetime(2025, 11, 1, tzinfo=UTC)
CASE = "3f1c8a0e-6b1d-4e0b-9d0a-5b7a1c2d3e4f"


def _connection(database) -> int:
    with database.begin() as session:
        return add_connection(session, BOX, ConnectionSettings(name="csv", auth_kind=SisAuthKind.NONE)).id


def _district(version="1.2", **size):
    state = OneRosterState(version=version)
    seed_district(state, **(size or {"schools": 2, "users": 30, "classes": 4, "enrollments": 50}))
    return state


def _zip(files: dict[str, str], version="1.2", modes: dict[str, str] | None = None) -> bytes:
    modes = modes or {name: "bulk" for name in files}
    manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version," + version + "\n"
    manifest += "".join(f"file.{name},{mode}\n" for name, mode in modes.items())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest)
        for name, text in files.items():
            archive.writestr(f"{name}.csv", text)
    return buffer.getvalue()


def _replace_in(data: bytes, name: str, old: str, new: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            content = source.read(info).decode()
            if info.filename == name:
                assert old in content
                content = content.replace(old, new, 1)
            archive.writestr(info.filename, content)
    return buffer.getvalue()


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_district_zip_imports_like_the_rest_sync_stores_it(database, version):
    state = _district(version)
    cid = _connection(database)
    with database.begin() as session:
        report = import_csv_zip(session, cid, district_csv_zip(state, version=version), now=lambda: NOW)
    assert report.version == version
    with database.begin() as session:
        for collection in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments"):
            assert count_records(session, collection, cid) == state.count(collection), collection
        user = find_record(session, "users", cid, "usr-000003")
        assert (user.role, user.org_sourced_ids, user.enabled_user) == ("student", ["org-001"], True)
        klass = find_record(session, "classes", cid, "cls-00001")
        assert klass.term_sourced_ids == ["ses-t2"]
        enrollment = find_record(session, "enrollments", cid, "enr-t00000")
        assert (enrollment.role, enrollment.primary) == ("teacher", True)


def test_bulk_marks_what_the_file_no_longer_carries_and_delta_does_not(database):
    state = _district()
    cid = _connection(database)
    with database.begin() as session:
        import_csv_zip(session, cid, district_csv_zip(state), now=lambda: NOW)
    del state.records["users"]["usr-000005"]
    with database.begin() as session:
        report = import_csv_zip(
            session, cid, district_csv_zip(state), now=lambda: datetime(2025, 11, 2, tzinfo=UTC)
        )
    assert {f.name: f.marked_absent for f in report.files}["users.csv"] == 1
    delta = _zip(
        {
            "users": "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName\n"
            "usr-000006,tobedeleted,2025-11-03T00:00:00Z,true,x,X,Y\n"
        },
        modes={"users": "delta"},
    )
    with database.begin() as session:
        import_csv_zip(session, cid, delta)
        assert find_record(session, "users", cid, "usr-000005").status == "tobedeleted"
        assert find_record(session, "users", cid, "usr-000006").status == "tobedeleted"
        assert count_records(session, "users", cid, status="active") == state.count("users") - 1


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        ("users.csv", "usr-000002,active", "usr-000002,gone", "users.csv, line 5, column 'status'"),
        ("enrollments.csv", ",student,", ",pupil,", "enrollments.csv, line 6, column 'role'"),
        (
            "academicSessions.csv",
            "2025-08-15",
            "15/08/2025",
            "academicSessions.csv, line 2, column 'startDate'",
        ),
        ("enrollments.csv", "usr-000000", "usr-nobody", "column 'userSourcedId'"),
        ("classes.csv", "Room 100", "Room 100,extra", "classes.csv, line 2"),
        ("users.csv", "usr-000002,", "usr-000001,", "column 'sourcedId'"),
        ("manifest.csv", "file.users,bulk", "file.users,sometimes", "manifest.csv, line"),
    ],
)
def test_a_bad_cell_is_named_by_file_line_and_column_and_nothing_changes(database, file, old, new, where):
    state = _district()
    cid = _connection(database)
    data = _replace_in(district_csv_zip(state), file, old, new)
    with pytest.raises(CsvImportError) as error, database.begin() as session:
        import_csv_zip(session, cid, data)
    assert where in str(error.value)
    with database.begin() as session:
        assert count_records(session, "users", cid) == 0
        assert count_records(session, "orgs", cid) == 0


def test_delta_needs_status_and_a_missing_required_header_is_line_1(database):
    cid = _connection(database)
    bad = _zip(
        {"orgs": "sourcedId,status,dateLastModified,name,type\no1,,,District,district\n"},
        modes={"orgs": "delta"},
    )
    with (
        pytest.raises(CsvImportError, match=r"orgs\.csv, line 2, column 'status': is required"),
        database.begin() as session,
    ):
        import_csv_zip(session, cid, bad)
    no_type = _zip({"orgs": "sourcedId,name\no1,District\n"})
    with (
        pytest.raises(CsvImportError, match=r"orgs\.csv, line 1, column 'type'"),
        database.begin() as session,
    ):
        import_csv_zip(session, cid, no_type)


def test_not_a_zip_and_no_manifest_are_refused():
    with pytest.raises(ProficiencyBridgeError, match="not a zip"):
        read_csv_zip(b"sourcedId,name\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.csv", "sourcedId\n")
    with pytest.raises(ProficiencyBridgeError, match=r"no manifest\.csv"):
        read_csv_zip(buffer.getvalue())


def _standings():
    made = []
    for s in range(4):
        made.append(
            StandingResult(
                "cls-00000",
                f"usr-{s:06d}",
                "MATH.1",
                "Number sense",
                None,
                Decimal(2 + s % 3),
                CASE,
                date(2025, 10, 1),
            )
        )
        made.append(
            StandingResult(
                "cls-00000",
                f"usr-{s:06d}",
                "ELA.2",
                "Writing",
                None,
                Decimal("2.5"),
                None,
                date(2025, 10, 1),
                comment='steady, "careful" work',
            )
        )
    made.append(
        StandingResult("cls-00000", "usr-000009", "ELA.2", "Writing", None, None, None, date(2025, 10, 1))
    )
    return made


CONTEXT = {"cls-00000": ClassContext("cls-00000", "org-000", "ses-t1", date(2025, 8, 15), date(2026, 1, 20))}


def test_exported_standings_import_back_and_match_the_rest_write_back(database, sis_factory):
    data = export_standings_csv(_standings(), contexts=CONTEXT, now=NOW)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"manifest.csv", "lineItems.csv", "results.csv", "resultLearningObjectiveIds.csv"} <= names
    manifest = zipfile.ZipFile(io.BytesIO(data)).read("manifest.csv").decode()
    assert "file.results,delta" in manifest and "file.users,absent" in manifest
    # the SIS side: the classes and students the rows point at are known there
    sis = sis_factory(schools=1, users=20, classes=2, enrollments=30)
    sync_roster(sis.database, sis.connection_id, sis.client())
    with sis.database.begin() as session:
        report = import_csv_zip(session, sis.connection_id, data)
        assert {f.name: f.rows for f in report.files}["results.csv"] == 8
        results = {r.sourced_id: r for r in session.scalars(select(SisResult))}
    # the REST write-back of the same standings lands on the same sourcedIds and values
    write_back(sis.database, sis.connection_id, sis.client(), _standings())
    sent = sis.state.records["results"]
    assert set(results) == set(sent)
    for sourced_id, row in results.items():
        assert row.score == sent[sourced_id]["score"]
        assert (
            row.learning_objectives[0]["learningObjectiveId"]
            == (
                sent[sourced_id]["learningObjectiveSet"][0]["learningObjectiveResults"][0][
                    "learningObjectiveId"
                ]
            )
        )
    assert any(r.comment == 'steady, "careful" work' for r in results.values())


def test_export_needs_the_class_school_like_the_rest_write_back():
    with pytest.raises(StandingsInvalid, match="school"):
        export_standings_csv(_standings(), contexts={}, now=NOW)
