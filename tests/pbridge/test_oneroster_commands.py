"""`pbridge oneroster ...` against the sandbox SIS served on loopback, as a district admin runs it."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from pbridge.cli import main
from sandbox.oneroster import OneRosterState, seed_district, seed_gradebook_category, serve
from sandbox.oneroster.csv_bulk import district_csv_zip
from store.database import Database
from store.migrate import stamp_head

KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def sis():
    state = OneRosterState()
    state.add_client("pb", "cli-secret")
    seed_district(state, schools=1, users=20, classes=2, enrollments=30)
    seed_gradebook_category(state)
    served = serve(state)
    yield state, served.url
    served.stop()


@pytest.fixture
def pbridge(tmp_path):
    url = f"sqlite:///{tmp_path / 'pbridge.db'}"
    database = Database(url)
    database.create_all()
    database.dispose()
    stamp_head(url)
    runner = CliRunner()

    def run(*args: str, secret: str = "cli-secret", key: str | None = KEY) -> Result:
        env = {
            "DATABASE_URL": url,
            "PBRIDGE_SIS_CLIENT_SECRET": secret,
            "PBRIDGE_ENCRYPTION_KEY": key,
            "PBRIDGE_SECRET_KEY": None,
        }
        return runner.invoke(main, ["oneroster", *args], env=env)

    return run


def _connect(pbridge, url, *extra, secret="cli-secret"):
    return pbridge(
        "connect",
        "--name",
        "District",
        "--base-url",
        url,
        "--token-url",
        f"{url}/oauth/token",
        "--client-id",
        "pb",
        "--page-size",
        "7",
        "--gradebook-header",
        "x-vendor-authorization: v-123",
        *extra,
        secret=secret,
    )


def test_connect_list_test_and_sync_the_roster(pbridge, sis):
    _, url = sis
    result = _connect(pbridge, url)
    assert result.exit_code == 0, result.output
    listing = pbridge("list").output
    assert "District: OneRoster 1.2 oauth2" in listing and "secret set (sealed)" in listing
    assert "cli-secret" not in listing and "v-123" not in listing
    tested = pbridge("test", "District", "--no-network")
    assert tested.exit_code == 0, tested.output
    assert tested.output.splitlines()[0].startswith("ok  rostering: answered")
    synced = pbridge("sync-roster", "District")
    assert synced.exit_code == 0, synced.output
    assert "users: 20 records" in synced.output
    assert "succeeded" in synced.output.splitlines()[-1]


def test_a_failing_test_is_one_line_and_exit_1(pbridge, sis):
    _, url = sis
    _connect(pbridge, url, secret="wrong")
    result = pbridge("test", "District", "--no-network")
    assert result.exit_code == 1
    assert "FAIL 401:" in result.output
    assert result.output.splitlines()[-1].startswith("Error: the connection test of 'District' failed")


def test_connect_refuses_without_a_key_to_seal_with(pbridge, sis):
    _, url = sis
    result = pbridge("connect", "--name", "x", "--base-url", url, "--client-id", "pb", key=None)
    assert result.exit_code == 1 and "PBRIDGE_ENCRYPTION_KEY" in result.output


def test_write_back_then_export_standings(pbridge, sis, tmp_path):
    _, url = sis
    _connect(pbridge, url)
    pbridge("sync-roster", "District")
    standings = tmp_path / "standings.csv"
    standings.write_text(
        "class_sourced_id,student_sourced_id,standard_code,standard_title,indicator_code,value,case_uuid,"
        "assessed_on,comment\n"
        "cls-00000,usr-000000,MATH.1,Number sense,,3,,2025-10-01,\n"
        "cls-00000,usr-000001,MATH.1,Number sense,,2.5,,2025-10-01,needs practice\n",
        encoding="utf-8",
    )
    written = pbridge("sync-gradebook", "District", "--standings", str(standings))
    assert written.exit_code == 0, written.output
    assert "1 line items and 2 results written" in written.output
    again = pbridge("sync-gradebook", "District", "--standings", str(standings))
    assert "2 unchanged" in again.output and "0 requests" in again.output
    out = tmp_path / "standings.zip"
    exported = pbridge("export-csv", "District", "--standings", str(standings), "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "results.csv" in zipfile.ZipFile(io.BytesIO(out.read_bytes())).namelist()
    read = pbridge("sync-gradebook", "District", "--class", "cls-00000")
    assert read.exit_code == 0, read.output
    assert "is not linked to a course" in read.output


def test_a_bad_standings_row_is_named(pbridge, sis, tmp_path):
    _, url = sis
    _connect(pbridge, url)
    standings = tmp_path / "standings.csv"
    standings.write_text(
        "class_sourced_id,student_sourced_id,standard_code,standard_title,indicator_code,value,case_uuid,"
        "assessed_on\ncls-00000,usr-000000,MATH.1,Number,,three,,2025-10-01\n",
        encoding="utf-8",
    )
    result = pbridge("sync-gradebook", "District", "--standings", str(standings))
    assert result.exit_code == 1
    assert "standings.csv, line 2, column 'value'" in result.output


def test_import_csv_for_a_csv_only_connection(pbridge, tmp_path):
    state = OneRosterState(version="1.1")
    seed_district(state, schools=1, users=12, classes=2, enrollments=14)
    archive = tmp_path / "roster.zip"
    archive.write_bytes(district_csv_zip(state, version="1.1"))
    assert pbridge("connect", "--name", "Drop", "--version", "1.1", "--csv-only").exit_code == 0
    result = pbridge("import-csv", "Drop", str(archive))
    assert result.exit_code == 0, result.output
    assert "users.csv (bulk): 12 rows" in result.output
    assert result.output.splitlines()[-1] == "Imported OneRoster 1.1 CSV: 41 rows."
