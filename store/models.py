"""Imports every table module so `Base.metadata` is complete (Alembic, `create_all`).

Each area keeps its tables in its own module; add one import line here per new module.
"""

# ruff: noqa: F401
import store.frameworks
import store.launch_sessions
import store.people
import store.platforms
import store.sis_roster  # also registers store.sis, which it imports
import store.sync_runs
import store.write_ledger
