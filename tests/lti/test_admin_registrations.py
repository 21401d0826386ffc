"""Admins register platforms and approve what dynamic registration and Schoology leave pending."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.platforms import Deployment, Platform, RegistrationStatus
from tests.stack import running_stack


def _form_token(page_text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def test_schoology_deployment_of_a_new_school_waits_for_approval_then_launches(database):
    with running_stack(database, flavour="schoology") as stack:
        tool = stack.state.tool(stack.connection.client_id)
        stack.state.register_tool(
            client_id=tool.client_id,
            deployment_ids=[*tool.deployment_ids, "school-2"],
            login_url=tool.login_url,
            redirect_uris=list(tool.redirect_uris),
            jwks_url=tool.jwks_url,
        )
        seed = stack.seed
        refused = stack.browser().launch(
            user=seed.teacher_id, course=seed.course_id, deployment_id="school-2"
        )
        assert refused.status_code == 403
        assert "waiting for an administrator&#39;s approval" in refused.text
        with database.begin() as session:
            pending = session.scalars(select(Deployment).where(Deployment.deployment_id == "school-2")).one()
            assert pending.status is RegistrationStatus.PENDING
            pending_id = pending.id

        admin = stack.browser()
        home = admin.launch(user=seed.admin_id)
        assert "school-2" in home.text
        approve = admin.http.post(
            home.url.join(f"/admin/deployments/{pending_id}/approve"),
            data={"csrf_token": _form_token(home.text), "ls": home.url.params["ls"]},
        )
        assert approve.status_code == 303

        landed = stack.browser().launch(user=seed.teacher_id, course=seed.course_id, deployment_id="school-2")
        assert landed.status_code == 200
        assert "/teacher/" in str(landed.url)


def test_an_admin_registers_a_moodle_site_from_the_page(database):
    with running_stack(database) as stack:
        admin = stack.browser()
        home = admin.launch(user=stack.seed.admin_id)
        response = admin.http.post(
            home.url.join("/admin/platforms"),
            data={
                "csrf_token": _form_token(home.text),
                "ls": home.url.params["ls"],
                "preset": "moodle",
                "site_url": "https://moodle.district.test",
                "client_id": "abc123",
                "deployment_ids": "4\n5",
            },
        )
        assert response.status_code == 303
        with database.begin() as session:
            moodle = session.scalars(select(Platform).where(Platform.client_id == "abc123")).one()
            assert moodle.auth_login_url == "https://moodle.district.test/mod/lti/auth.php"
            assert moodle.key_set_url == "https://moodle.district.test/mod/lti/certs.php"
            assert sorted(d.deployment_id for d in moodle.deployments) == ["4", "5"]


def test_a_form_without_the_csrf_token_changes_nothing(database):
    with running_stack(database) as stack:
        admin = stack.browser()
        home = admin.launch(user=stack.seed.admin_id)
        response = admin.http.post(
            home.url.join("/admin/keys/rotate"), data={"ls": home.url.params["ls"], "csrf_token": "forged"}
        )
        assert response.status_code == 400
        assert "did not come from this tool" in response.text


def test_a_teacher_cannot_reach_admin_pages(database):
    with running_stack(database) as stack:
        teacher = stack.browser()
        page = teacher.launch(user=stack.seed.teacher_id, course=stack.seed.course_id)
        response = teacher.http.get(page.url.join(f"/admin/?ls={page.url.params['ls']}"))
        assert response.status_code == 403
