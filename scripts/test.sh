#!/usr/bin/env bash
# The whole suite: ruff, then pytest on SQLite, then pytest on PostgreSQL when one answers.
# Called by `./dev test` (after the virtual environment exists) and by `.ci/run`.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

echo "== ruff"
"$BIN/ruff" check . || status=1

echo "== mypy (strict on mappings/ and bridge/)"
"$BIN/mypy" || status=1

echo "== pytest on SQLite"
"$BIN/python" -m pytest -n 2 -q "$@"
rc=$?
[ $rc -eq 0 ] || status=$rc

PG_URL=${PBRIDGE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
if "$BIN/python" - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1].replace("postgresql+psycopg", "postgresql"), connect_timeout=3).close()
PY
then
  echo "== pytest on PostgreSQL (database tests)"
  DATABASE_URL="$PG_URL" "$BIN/python" -m pytest -n 2 -q -m "not e2e" "$@"
  rc=$?
  [ $rc -eq 0 ] || status=$rc
else
  echo "== PostgreSQL did not answer at $PG_URL: the PostgreSQL run is skipped (CI starts it)"
  if [ "${CI:-}" = "true" ]; then status=1; fi
fi
exit $status
