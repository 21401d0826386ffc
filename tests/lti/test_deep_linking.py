"""Deep linking: a teacher adds the tool to a course; the platform accepts our signed answer."""

from __future__ import annotations

import re

from tests.stack import parse_page, running_stack


def test_a_teacher_adds_the_tool_as_a_link_and_the_platform_verifies_it(database):
    with running_stack(database) as stack:
        teacher = stack.browser()
        page = teacher.launch(
            user=stack.seed.teacher_id, course=stack.seed.course_id, message_type="LtiDeepLinkingRequest"
        )
        assert page.status_code == 200, page.text[:300]
        assert "/teacher/deep-link" in str(page.url)
        form = parse_page(page.text)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = teacher.http.post(
            page.url.join(form.action),
            data={"csrf_token": token, "title": "Unit 2 standards check", "ls": page.url.params["ls"]},
        )
        assert answer.status_code == 200
        back = parse_page(answer.text)
        assert "JWT" in back.fields
        placed = teacher.http.post(back.action, data=back.fields)
        assert placed.status_code == 200, placed.text[:500]
        titles = [link.title for link in stack.state.resource_links.values() if link.from_deep_link]
        assert titles == ["Unit 2 standards check"]


def test_a_student_cannot_answer_a_deep_linking_request(database):
    with running_stack(database) as stack:
        page = stack.browser().launch(
            user=stack.seed.student_ids[0], course=stack.seed.course_id, message_type="LtiDeepLinkingRequest"
        )
        assert page.status_code in (400, 403)
