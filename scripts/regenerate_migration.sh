#!/usr/bin/env bash
# Until the first release, the schema is one migration made from the models. Regenerate it
# after changing tables: ./scripts/regenerate_migration.sh  (a test checks it matches).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f store/migrations/versions/0001_initial_schema.py
tmp=$(mktemp -d)
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from store.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}/empty.db"), message="initial schema", autogenerate=True, rev_id="0001")
PY
rm -rf "$tmp"
