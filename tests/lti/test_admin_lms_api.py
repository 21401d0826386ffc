"""An admin reads a platform's LMS API credentials and tests them from the page: the same
checks as `pbridge lms test`, naming what is missing, never showing a secret."""

from __future__ import annotations

import re

from sqlalchemy import select

from sandbox.lms_api_access import MOODLE_FUNCTIONS
from store.lms_credentials import save_credentials
from store.people import Course
from store.platforms import Preset
from store.secret_box import SecretBox
from tests.stack import running_stack


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_an_admin_tests_the_lms_api_from_the_page(database):
    with running_stack(database, flavour="moodle") as stack:
        seed, state = stack.seed, stack.state
        assert stack.browser().launch(user=seed.teacher_id, course=seed.course_id).status_code == 200
        with database.begin() as session:
            course = session.scalars(select(Course).where(Course.context_id == seed.course_id)).one()
            platform_id, course_id, title = course.platform_id, course.id, course.title
        admin = stack.browser()
        home = admin.launch(user=seed.admin_id)
        ls = home.url.params["ls"]
        assert "not connected" in home.text
        url = home.url.join(f"/admin/platforms/{platform_id}/lms-api")
        page = admin.http.get(url, params={"ls": ls})
        assert page.status_code == 200
        assert f"pbridge lms connect moodle --platform {platform_id}" in page.text

        box = SecretBox.from_settings(stack.settings.encryption_key, stack.settings.secret_key)
        partial = [f for f in MOODLE_FUNCTIONS if f != "mod_assign_get_grades"]
        token = state.lms_api.add_moodle_token(seed.admin_id, functions=partial)
        with database.begin() as session:
            save_credentials(session, box, platform_id=platform_id, kind=Preset.MOODLE, token=token)
        assert "moodle connected" in admin.http.get(home.url.join("/admin/"), params={"ls": ls}).text
        page = admin.http.get(url, params={"ls": ls})
        assert "token set" in page.text and token not in page.text

        tested = admin.http.post(f"{url}/test", data={"ls": ls, "csrf_token": _csrf(page.text), "course": ""})
        assert tested.status_code == 200
        assert "1 check(s) failed; missing: function mod_assign_get_grades." in tested.text
        assert "not in the token&#39;s service" in tested.text and token not in tested.text

        good = state.lms_api.add_moodle_token(seed.admin_id)
        with database.begin() as session:
            save_credentials(session, box, platform_id=platform_id, kind=Preset.MOODLE, token=good)
        tested = admin.http.post(
            f"{url}/test", data={"ls": ls, "csrf_token": _csrf(page.text), "course": str(course_id)}
        )
        assert tested.status_code == 200
        assert f"The credentials work, and {title} can be read." in tested.text
        assert "reading grades" in tested.text and good not in tested.text

        for course_field, status in (("abc", 400), ("999999", 400)):
            refused = admin.http.post(
                f"{url}/test", data={"ls": ls, "csrf_token": _csrf(page.text), "course": course_field}
            )
            assert refused.status_code == status
        missing = home.url.join("/admin/platforms/999999/lms-api")
        assert admin.http.get(missing, params={"ls": ls}).status_code == 404
        assert (
            admin.http.post(f"{missing}/test", data={"ls": ls, "csrf_token": _csrf(page.text)}).status_code
            == 404
        )

        teacher = stack.browser()
        landed = teacher.launch(user=seed.teacher_id, course=seed.course_id)
        assert teacher.http.get(url, params={"ls": landed.url.params["ls"]}).status_code == 403
