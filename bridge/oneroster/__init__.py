"""The SIS bridge: OneRoster 1.1 and 1.2 over REST (rostering, gradebook) and CSV bulk.

config = SisConfig.from_connection(row, secret_box)          # store.sis.SisConnection
client = OneRosterClient.connect(config)                      # PlatformHttp underneath
sync_roster(database, row.id, client)                         # delta after the first
pull_gradebooks(database, row.id, client, ["class-id"])       # aligned results -> evidence
write_back(database, row.id, client, [StandingResult(...)])   # only what changed
import_csv_zip(session, row.id, zip_bytes)                    # all or nothing
export_standings_csv(standings, contexts=..., now=...)        # a 1.2 zip
check_connection(client)                                      # DNS, TLS, 401, scope
"""

from bridge.oneroster.client import (
    CollectionQuery,
    OneRosterClient,
    Page,
    SisConfig,
    delta_filter,
    field_filter,
)
from bridge.oneroster.connection_check import Check, ConnectionReport, check_connection
from bridge.oneroster.csv_export import export_standings_csv
from bridge.oneroster.csv_import import CsvImportReport, import_csv_zip, read_csv_zip
from bridge.oneroster.gradebook import (
    ClassGradebook,
    EvidenceReport,
    GradebookPullReport,
    ResultObservation,
    pull_gradebooks,
    read_class_gradebook,
    record_class_evidence,
    result_observations,
)
from bridge.oneroster.roster_sync import RosterSyncReport, sync_roster
from bridge.oneroster.standings import StandingResult, StandingsInvalid, plan_standings, read_standings_csv
from bridge.oneroster.writeback import WriteBackReport, write_back

__all__ = [
    "Check",
    "ClassGradebook",
    "CollectionQuery",
    "ConnectionReport",
    "CsvImportReport",
    "EvidenceReport",
    "GradebookPullReport",
    "OneRosterClient",
    "Page",
    "ResultObservation",
    "RosterSyncReport",
    "SisConfig",
    "StandingResult",
    "StandingsInvalid",
    "WriteBackReport",
    "check_connection",
    "delta_filter",
    "export_standings_csv",
    "field_filter",
    "import_csv_zip",
    "plan_standings",
    "pull_gradebooks",
    "read_class_gradebook",
    "read_csv_zip",
    "read_standings_csv",
    "record_class_evidence",
    "result_observations",
    "sync_roster",
    "write_back",
]
