"""An AGS-aligned course (scored tool line items) reached by a launch that stops at the tool's
redirect, so the teacher pages' own changes cannot break these tests."""

from __future__ import annotations

import tests.bridge.conftest as ags_course
from tests.stack import Stack


class _Launcher:
    def __init__(self, browser) -> None:
        self.browser = browser

    def launch(self, *, user: str, course: str):
        browser = self.browser
        landed = browser.post_launch(browser.start(user=user, course=course))
        assert landed.status_code == 303, landed.text[:300]
        landed.status_code = 200
        return landed


def launched_aligned_course(stack: Stack) -> ags_course.AlignedCourse:
    """`tests.bridge.conftest.aligned_course`, launching without rendering the teacher's page."""
    original = stack.browser
    stack.browser = lambda: _Launcher(original())  # type: ignore[method-assign]
    try:
        return ags_course.aligned_course(stack)
    finally:
        stack.browser = original  # type: ignore[method-assign]
