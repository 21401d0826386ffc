"""Inside the LMS's iframe, on another site, with third-party cookies blocked.

The sandbox's course page is at `localhost` while the tool answers on `127.0.0.1`: two
sites, so the tool is a third party in the frame. Chromium runs with third-party
cookies blocked; the launch must complete through LTI Platform Storage (postMessage) and
every page after it must work from the `ls` token the links carry.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.pages import check_page

pytestmark = pytest.mark.e2e

#: Third-party cookies blocked, and the frame kept in the page's renderer process. Cookies
#: follow sites, not processes, so the frame is as much a third party either way; but with
#: each site in its own process the frame changes process at every hop (tool → platform →
#: tool), and on a busy machine Playwright lost track of it: a screenshot showed the teacher
#: page in the frame while Playwright still reported the platform's URL and never found it.
ONE_PROCESS_FRAMES = [
    "--test-third-party-cookie-phaseout",
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
]


def test_the_tool_works_in_a_cross_site_iframe_without_third_party_cookies(cross_site_stack, playwright):
    stack = cross_site_stack
    seed = stack.seed
    launch = stack.state.launch_url(user=seed.teacher_id, course=seed.course_id, document_target="iframe")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *ONE_PROCESS_FRAMES])
    try:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.goto(launch)
        frame = page.frame_locator('iframe[name="tool_frame"]')
        try:
            frame.locator("table.heat#heatmap").wait_for(timeout=30000)
        except PlaywrightTimeout as waited:
            frames = [(f.name, f.url) for f in page.frames]
            page.screenshot(path=str(_shot("iframe-failed")))  # kept as a CI artifact
            raise AssertionError(f"no teacher page in the frame: {frames} {console}") from waited
        page.screenshot(path=str(_shot("iframe-teacher-class")))
        # no cookie of the tool was kept: the session lives in the links
        tool_cookies = [c for c in context.cookies() if c["domain"] == "127.0.0.1"]
        assert not [c for c in tool_cookies if c["name"] == "pb_session"]
        frame.locator("table.heat#heatmap tbody td:not(.std) a").first.click()
        frame.locator("#evidence-h").wait_for()
        # a form posts from inside the frame (CSRF token and session token travel with it)
        frame.locator("details.action summary", has_text="Exclude").first.click()
        frame.locator("details.action[open] input[name=reason]").fill("Checked from inside the LMS")
        frame.locator("details.action[open] button", has_text="Exclude").click()
        frame.locator(".notice-ok", has_text="is excluded").wait_for()
        frame.get_by_role("button", name="Count it again").click()
        frame.locator(".notice-ok", has_text="counts again").wait_for()
    finally:
        browser.close()


def _shot(name: str):  # type: ignore[no-untyped-def]
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_pages_work_from_the_keyboard_alone(stack, chromium):
    seed = stack.seed
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    try:
        page.goto(
            stack.state.launch_url(user=seed.student_ids[2], course=seed.course_id, document_target="window")
        )
        page.wait_for_selector("section.standard")
        # tab to the first indicator link and follow it with Enter
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('ul.indicators') !== null"):
                break
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/student/standing/\d+"))
        # choose a level and send the self-assessment without a mouse
        page.focus("#self-2")
        page.keyboard.press("Space")
        page.focus("#reflection")
        page.keyboard.type("Still practising.")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector(".notice-ok")
        check_page(page, "student-standing-after-keyboard")
    finally:
        context.close()
