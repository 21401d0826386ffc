"""Imports every table module so `Base.metadata` is complete (Alembic, `create_all`).

Each area keeps its tables in its own module; add one import line here per new module.
"""

# ruff: noqa: F401
import store.alignments
import store.audit
import store.change_stamps
import store.course_settings
import store.evidence
import store.frameworks
import store.launch_sessions
import store.lms_credentials
import store.native_scales
import store.overrides
import store.people
import store.platforms
import store.policies
import store.self_assessments
import store.sis_demographics
import store.sis_roster  # also registers store.sis, which it imports
import store.standings
import store.sync_runs
import store.write_ledger
