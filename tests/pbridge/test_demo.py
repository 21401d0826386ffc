"""`pbridge demo` starts both sides, seeded and synced, and its URLs launch for real."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from pbridge.demo import start_demo
from pbridge.wiring import launch_once
from store.standings import StandingRow
from tests.stack import free_port


def test_the_demo_starts_seeded_and_its_links_launch(tmp_path):
    lines: list[str] = []
    demo = start_demo(
        port=free_port(),
        sandbox_port=free_port(),
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        say=lines.append,
    )
    try:
        urls = demo.urls()
        assert set(urls) == {"launch as teacher", "launch as student", "admin"}
        assert len(demo.seed.student_ids) >= 25
        with demo.database.begin() as session:
            standings = session.scalar(
                select(func.count()).select_from(StandingRow).where(StandingRow.value.is_not(None))
            )
        assert standings > 0  # the first sync ran
        landing = launch_once(demo.state, user=demo.seed.student_ids[0], course=demo.seed.course_id)
        assert "/student/" in landing
        page = httpx.get(urls["launch as teacher"], timeout=10)
        assert page.status_code == 200
        assert demo.settings.base_url + "/lti/login" in page.text  # the sandbox posts to the tool's login
    finally:
        demo.stop()
