"""`pbridge lms ...` against sandboxes served over HTTP, as an admin runs it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from pbridge.cli import main
from sandbox import SandboxState, create_app, serve
from sandbox.lms_api_access import MOODLE_FUNCTIONS
from sandbox.seed import seed_demo
from store.database import Database
from store.migrate import stamp_head
from store.people import upsert_course
from store.platforms import Preset
from store.registrations import PlatformDetails, add_platform


@pytest.fixture
def admin(tmp_path):
    """A tool database with a Moodle and a Canvas registration, each a served sandbox."""
    url = f"sqlite:///{tmp_path / 'pbridge.db'}"
    database = Database(url)
    database.create_all()
    stamp_head(url)
    servers, states, platforms = [], {}, {}
    with database.begin() as session:
        for flavour in ("moodle", "canvas"):
            state = SandboxState.for_flavour(flavour)
            seed = seed_demo(state, students=3, assignments=4)
            servers.append(serve(create_app(state)))
            platform = add_platform(
                session,
                PlatformDetails(
                    name=flavour,
                    issuer=state.issuer,
                    client_id="pb",
                    auth_login_url=state.auth_url,
                    auth_token_url=state.token_url,
                    key_set_url=state.jwks_url,
                    preset=Preset(flavour),
                ),
                deployment_ids=["1"],
            )
            course = upsert_course(
                session,
                issuer=state.issuer,
                context_id=seed.course_id,
                platform_id=platform.id,
                deployment_id="1",
                title="Algebra I",
                lms_course_id=seed.course_id,
            )
            states[flavour] = (state, seed)
            platforms[flavour] = (platform.id, course.id)
    database.dispose()
    runner = CliRunner()

    def run(*args: str, **env: str) -> Result:
        return runner.invoke(
            main, list(args), env={"DATABASE_URL": url, "PBRIDGE_SECRET_KEY": "k" * 40, **env}
        )

    yield run, states, platforms
    for server in servers:
        server.stop()


def test_moodle_connect_list_and_test_say_what_is_missing(admin):
    run, states, platforms = admin
    state, seed = states["moodle"]
    platform_id, course_id = platforms["moodle"]
    partial = [f for f in MOODLE_FUNCTIONS if f != "mod_assign_get_grades"]
    token = state.lms_api.add_moodle_token(seed.admin_id, functions=partial)
    saved = run("lms", "connect", "moodle", "--platform", str(platform_id), PBRIDGE_LMS_TOKEN=token)
    assert saved.exit_code == 0, saved.output
    listed = run("lms", "list")
    assert "moodle" in listed.output and "token set" in listed.output
    assert token not in saved.output + listed.output

    tested = run("lms", "test", "--platform", str(platform_id))
    assert tested.exit_code == 1
    assert "MISSING  function mod_assign_get_grades: not in the token's service" in tested.output
    assert "ok       function mod_assign_get_assignments" in tested.output
    assert "missing: function mod_assign_get_grades" in tested.output

    student = state.lms_api.add_moodle_token(seed.student_ids[0])
    run("lms", "connect", "moodle", "--platform", str(platform_id), PBRIDGE_LMS_TOKEN=student)
    tested = run("lms", "test", "--platform", str(platform_id), "--course", str(course_id))
    assert tested.exit_code == 1
    assert f"MISSING  reading course {seed.course_id}'s assignments" in tested.output

    good = state.lms_api.add_moodle_token(seed.admin_id)
    run("lms", "connect", "moodle", "--platform", str(platform_id), PBRIDGE_LMS_TOKEN=good)
    tested = run("lms", "test", "--platform", str(platform_id), "--course", str(course_id))
    assert tested.exit_code == 0, tested.output
    assert "ok       reading grades" in tested.output


def test_canvas_key_and_admin_token_are_checked_separately(admin):
    run, states, platforms = admin
    state, seed = states["canvas"]
    platform_id, course_id = platforms["canvas"]
    key = state.lms_api.add_developer_key(redirect_uris=["http://tool.example/lms/canvas/callback"])
    token = state.lms_api.add_personal_token(seed.admin_id)
    saved = run(
        "lms",
        "connect",
        "canvas",
        "--platform",
        str(platform_id),
        "--client-id",
        key.client_id,
        "--admin-token",
        "--api-url",
        state.base_url,
        PBRIDGE_LMS_SECRET="wrong-secret",
        PBRIDGE_LMS_TOKEN=token,
    )
    assert saved.exit_code == 0, saved.output
    tested = run("lms", "test", "--platform", str(platform_id), "--course", str(course_id))
    assert "MISSING  developer key: Canvas refused the developer key" in tested.output
    assert "ok       admin token: the admin token acts as" in tested.output
    assert "ok       reading grades" in tested.output
    assert tested.exit_code == 1

    fixed = run(
        "lms", "connect", "canvas", "--platform", str(platform_id), "--client-id", key.client_id,
        PBRIDGE_LMS_SECRET=key.secret,
    )  # fmt: skip
    assert fixed.exit_code == 0
    assert run("lms", "test", "--platform", str(platform_id)).exit_code == 0  # the admin token was kept

    assert run("lms", "resync", "--course", str(course_id)).exit_code == 0
    assert "Removed" in run("lms", "remove", "--platform", str(platform_id)).output
    assert "MISSING" in run("lms", "test", "--platform", str(platform_id)).output


def test_credentials_of_the_wrong_kind_or_incomplete_are_refused_in_one_line(admin):
    run, _states, platforms = admin
    moodle_id, _ = platforms["moodle"]
    wrong = run(
        "lms", "connect", "canvas", "--platform", str(moodle_id), "--admin-token", PBRIDGE_LMS_TOKEN="t"
    )
    assert wrong.exit_code == 1
    assert wrong.output.strip() == f"Error: platform {moodle_id} is a moodle registration, not canvas"
    nothing = run("lms", "connect", "canvas", "--platform", str(moodle_id))
    assert nothing.exit_code == 2 and "give --client-id" in nothing.output
    unkeyed = run(
        "lms", "connect", "moodle", "--platform", str(moodle_id), PBRIDGE_SECRET_KEY="", PBRIDGE_LMS_TOKEN="t"
    )
    assert unkeyed.exit_code == 1 and "PBRIDGE_ENCRYPTION_KEY" in unkeyed.output
