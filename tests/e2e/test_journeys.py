"""The teacher, student and admin journeys in Chromium, launched from the sandbox LMS."""

from __future__ import annotations

import re

import pytest

from tests.e2e.pages import check_page

pytestmark = pytest.mark.e2e


def _open(chromium, stack, **launch: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and r.request.resource_type != "document"
            else None
        ),
    )
    page.goto(stack.state.launch_url(document_target="window", **launch))
    page.wait_for_load_state("networkidle")
    return context, page, errors


def test_teacher_journey(stack, chromium):
    seed = stack.seed
    context, page, errors = _open(chromium, stack, user=seed.teacher_id, course=seed.course_id)
    try:
        assert "/teacher/" in page.url
        heat = page.locator("table.heat#heatmap")
        assert heat.count() == 1
        assert heat.locator("tbody tr").count() >= 25
        assert page.locator(".legend").first.inner_text().count("Insufficient evidence") == 1
        check_page(page, "teacher-class")

        # keyboard: the skip link comes first and moves focus to the content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        # sort by the lowest first on a column, filter to students below meets
        page.select_option("#f-sort", "below")
        page.check("#f-only")
        page.get_by_role("button", name="Apply").click()
        assert "only=below" in page.url
        first_row = page.locator("table.heat#heatmap tbody tr").first
        assert first_row.locator(".below-count").count() == 1

        # a cell opens the body of evidence and the explanation
        class_url = page.url
        # a standard's cell opens the roll-up: its rule, arithmetic and indicators
        page.locator("table.heat#heatmap tbody td.std a").first.click()
        assert "/teacher/standard/" in page.url
        assert page.get_by_role("heading", name=re.compile("The indicators it rests on")).count() == 1
        check_page(page, "teacher-standard")
        page.goto(class_url)
        page.locator("table.heat#heatmap tbody td:not(.std) a").first.click()
        assert "/teacher/standing/" in page.url
        assert page.get_by_role("heading", name=re.compile("Body of evidence")).count() == 1
        assert page.locator(".explain").inner_text().strip() != ""
        check_page(page, "teacher-standing")
        standing_url = page.url

        # exclude one observation with a reason, then count it again
        page.locator("details.action summary", has_text="Exclude").first.click()
        page.locator("details.action[open] input[name=reason]").fill("Absent that week; to be reassessed")
        page.locator("details.action[open] button", has_text="Exclude").click()
        assert "excluded" in page.locator(".notice-ok").inner_text()
        assert page.locator("tr.excluded").count() == 1
        page.get_by_role("button", name="Count it again").click()
        assert page.locator("tr.excluded").count() == 0

        # override with a reason, shown beside the calculated value, then withdraw
        page.select_option("#ov-value", "4")
        page.fill("#ov-reason", "Portfolio conference showed more")
        page.get_by_role("button", name="Set override").click()
        assert "override" in page.locator(".card").first.inner_text().lower()
        page.get_by_role("button", name="Withdraw the override").click()
        assert "withdrawn" in page.locator(".notice-ok").inner_text()
        page.goto(standing_url)

        # act on it: students below meets per indicator, with reassessment planning
        page.get_by_role("link", name="Act on it").click()
        assert page.locator("section.standard").count() >= 3
        check_page(page, "teacher-act")

        # the assignments: tool columns listed, tag one with a preview of today's scores
        page.get_by_role("link", name="Assignments").click()
        check_page(page, "teacher-assignments")
        page.locator("table.data a.button", has_text=re.compile("Edit|Tag")).first.click()
        page.fill("#tag-picker-filter", "MATH.3.PI")
        visible = page.locator("#tag-picker label[data-text]:visible")
        assert 0 < visible.count() < 20
        visible.first.locator("input").check()
        page.get_by_role("button", name="Preview with current scores").click()
        assert page.get_by_role("heading", name=re.compile("Preview")).count() == 1
        assert page.locator("#preview-h + p").inner_text().startswith(tuple("0123456789"))
        check_page(page, "teacher-tag-preview")
        assert "MATH.3.PI.1" in page.locator(".chosen").inner_text()
        page.get_by_role("button", name="Save the alignment").click()
        assert "alignment is saved" in page.locator(".notice-ok").inner_text()

        # policy preview side by side
        page.get_by_role("link", name="Policy").click()
        page.select_option("#method", "mean")
        page.get_by_role("button", name="Preview").click()
        assert page.get_by_role("heading", name=re.compile("Side by side")).count() == 1
        check_page(page, "teacher-policy-preview")

        # sync now with live progress, until it is over
        page.get_by_role("link", name="Sync", exact=True).click()
        page.get_by_role("button", name="Sync now").click()
        page.wait_for_selector("text=Last sync", timeout=5000)
        page.wait_for_selector("#run-progress", state="detached", timeout=30000)
        assert page.locator(".card .pill").first.inner_text() in ("succeeded", "partial")
        check_page(page, "teacher-sync")

        # reports: analytics, quality, one student's progress report and its PDF
        page.get_by_role("link", name="Reports").click()
        assert "suppressed" in page.content().lower() or page.locator("svg rect").count() > 0
        check_page(page, "teacher-analytics")
        page.get_by_role("link", name=re.compile("Indicator quality")).click()
        check_page(page, "teacher-quality")
        page.get_by_role("link", name="Class", exact=True).click()
        page.locator("table.heat#heatmap tbody th a").first.click()
        assert page.get_by_role("heading", name=re.compile("Progress report")).count() == 1
        check_page(page, "teacher-progress-report")
        pdf_href = page.get_by_role("link", name="Download PDF").get_attribute("href")
        pdf = page.request.get(stack.tool_url + str(pdf_href))
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.body()[:5] == b"%PDF-"
        assert errors == []
    finally:
        context.close()


def test_student_journey(stack, chromium):
    seed = stack.seed
    context, page, errors = _open(chromium, stack, user=seed.student_ids[0], course=seed.course_id)
    try:
        assert "/student/" in page.url
        assert page.locator("section.standard").count() >= 1
        check_page(page, "student-standings")
        token = re.search(r"ls=([^&]+)", page.url).group(1)

        home_url = page.url
        # a standard opens on its roll-up: the rule, the arithmetic, the indicators behind it
        page.locator("section.standard header a").first.click()
        assert "/student/standard/" in page.url
        assert page.get_by_role("heading", name=re.compile("Why your standing on the standard")).count() == 1
        check_page(page, "student-standard")
        page.goto(home_url)
        page.locator("section.standard ul.indicators a").first.click()
        assert page.get_by_role("heading", name=re.compile("Why your standing")).count() == 1
        assert page.locator("svg.chart").count() == 1
        assert page.locator(".whatif li").count() == 4
        check_page(page, "student-standing")

        page.check("#self-3")
        page.fill("#reflection", "I can solve them but I still mix up the signs.")
        page.get_by_role("button", name="Save my self-assessment").click()
        assert "does not change your standing" in page.locator(".notice-ok").inner_text()

        page.get_by_role("link", name="Progress report").click()
        check_page(page, "student-progress-report")
        page.get_by_role("link", name="Report card").click()
        assert page.get_by_role("heading", name=re.compile("Report card")).count() == 1
        check_page(page, "student-report-card")

        # another student's standing, whatever URL is typed: not found
        other = stack.browser()
        other_page = other.launch(user=seed.student_ids[1], course=seed.course_id)
        other_link = re.search(r'href="/student/standing/(\d+)', other_page.text).group(1)
        answer = page.goto(f"{stack.tool_url}/student/standing/{other_link}?ls={token}")
        assert answer is not None and answer.status == 404
        for path in ("/teacher/", "/admin/", f"/teacher/students/{other_link}/report"):
            refused = page.goto(f"{stack.tool_url}{path}?ls={token}")
            assert refused is not None and refused.status == 403
        assert errors == []
    finally:
        context.close()


def test_admin_journey(stack, chromium):
    context, page, errors = _open(chromium, stack, user=stack.seed.admin_id)
    try:
        assert "/admin/" in page.url
        check_page(page, "admin-registrations")
        page.locator("details.action summary").first.click()
        page.locator("details.action[open] input[name=name]").fill("District Canvas")
        page.locator("details.action[open] button").click()
        assert "registration is saved" in page.locator(".notice-ok").inner_text()
        # the platform's LMS API credentials, tested from the page as `pbridge lms test` would
        page.locator("td a[href*='/lms-api']").first.click()
        check_page(page, "admin-lms-api")
        page.get_by_role("button", name="Test the LMS API now").click()
        assert page.locator("table.data tbody tr").count() >= 1
        check_page(page, "admin-lms-api-tested")
        page.get_by_role("link", name="Back to the registrations").click()
        for link, shot in (
            ("SIS", "admin-sis"),
            ("Frameworks", "admin-frameworks"),
            ("Policy", "admin-policy"),
            ("Sync runs", "admin-runs"),
            ("Analytics", "admin-analytics"),
        ):
            page.get_by_role("link", name=link, exact=True).click()
            check_page(page, shot)
        page.get_by_role("link", name="Policy", exact=True).click()
        page.select_option("#method", "mean")
        page.check("#cm-decaying_average")
        page.get_by_role("button", name=re.compile("Save the policy")).click()
        assert "The policy is saved." in page.locator(".notice-ok").inner_text()
        # the page follows the background recalculation and reloads when it is over
        page.wait_for_selector("#run-progress", state="detached", timeout=30_000)
        assert "Every standing was recalculated" in page.locator("main").inner_text()
        check_page(page, "admin-policy-recalculated")
        # the gradebooks need not wait for the night: every course's sync starts from here
        page.get_by_role("button", name="Sync every course now").click()
        assert "is syncing every course" in page.locator("main [role=status]").first.inner_text()
        check_page(page, "admin-runs-every-course")
        page.get_by_role("link", name="Audit log").click()
        log = page.locator("table.data tbody").inner_text()
        assert "district policy changed" in log and "registration edited" in log
        check_page(page, "admin-audit")
        assert errors == []
    finally:
        context.close()
