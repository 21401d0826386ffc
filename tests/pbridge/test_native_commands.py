"""`pbridge native push|import-canvas-outcomes` against a served stack, as an admin runs them."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from click.testing import CliRunner, Result

from bridge.lms_sync import sync_course
from pbridge.cli import main
from sandbox.native_outcomes import native_outcomes
from store.framework_repository import get_framework, load_document
from store.lms_credentials import save_credentials
from store.migrate import stamp_head
from store.native_scales import chosen_moodle_scale
from store.platforms import Preset
from tests.bridge.native.conftest import connect_lms, platform_of, write_both
from tests.bridge.native.conftest import launched_aligned_course as aligned_course
from tests.stack import running_stack

LEVELS = ("Does not meet", "Partially meets", "Meets", "Exceeds")


def _course(database, flavour: str):
    stack_context = running_stack(database, flavour=flavour)
    stack = stack_context.__enter__()
    course = aligned_course(stack)
    write_both(course)
    assert not sync_course(course.bridge, course.course_id).problems  # standings, no LMS API yet
    connect_lms(course)
    stamp_head(database.url)  # the fixture made the schema; the CLI wants it marked current
    runner = CliRunner()

    def run(*args: str) -> Result:
        env = {"DATABASE_URL": database.url, "PBRIDGE_SECRET_KEY": stack.settings.secret_key}
        return runner.invoke(main, list(args), env=env)

    return stack_context, course, run


@pytest.fixture
def canvas(database):
    context, course, run = _course(database, "canvas")
    yield course, run
    context.__exit__(None, None, None)


@pytest.fixture
def moodle(database):
    context, course, run = _course(database, "moodle")
    yield course, run
    context.__exit__(None, None, None)


def test_moodle_push_names_the_command_then_keeps_the_named_scale(moodle):
    course, run = moodle
    state = course.stack.state
    store = native_outcomes(state)
    unnamed = run("native", "push", "--course", str(course.course_id))
    assert unnamed.exit_code == 1, unnamed.output
    assert f"pbridge native push --course {course.course_id} --moodle-scale-id N" in unnamed.output
    assert not store.frameworks

    two_items = run("native", "push", "--course", str(course.course_id), "--moodle-scale-id", "2")
    assert two_items.exit_code == 1 and "has 2 items but the framework has 4 levels" in two_items.output
    assert not store.frameworks
    with course.stack.database.begin() as session:
        assert chosen_moodle_scale(session, platform_of(course)) is None  # a scale that failed is not kept

    scale_id = store.add_scale("Proficiency", LEVELS)
    named = run("native", "push", "--course", str(course.course_id), "--moodle-scale-id", scale_id)
    assert named.exit_code == 0, named.output
    written = int(named.output.split(": ")[1].split()[0])
    assert written > 0 and written == len(store.user_competencies)
    again = run("native", "push", "--course", str(course.course_id))
    assert again.exit_code == 0 and f"0 native result(s) written, {written} unchanged" in again.output

    # a later sync finds the named scale by itself: a framework Moodle lost is made again on it
    with store.lock:
        store.frameworks.clear()
        store.competencies.clear()
        store.course_competencies.clear()
    outcome = sync_course(course.bridge, course.course_id)
    assert not outcome.problems, outcome.problems
    assert [f.scaleid for f in store.frameworks.values()] == [scale_id]


def test_canvas_push_prints_what_was_written_then_nothing(canvas):
    course, run = canvas
    first = run("native", "push", "--course", str(course.course_id))
    assert first.exit_code == 0, first.output
    written = int(first.output.split(": ")[1].split()[0])
    assert written == len(native_outcomes(course.stack.state).results) > 0
    again = run("native", "push", "--course", str(course.course_id))
    assert again.exit_code == 0 and f"0 native result(s) written, {written} unchanged" in again.output


def test_push_of_an_unknown_course_is_one_line(canvas):
    _, run = canvas
    result = run("native", "push", "--course", "999999")
    assert result.exit_code == 1
    assert "there is no course 999999" in result.output


def test_import_course_outcomes_as_a_framework(canvas):
    """The bridge's own mirrored outcomes come back with our codes and our scale."""
    course, run = canvas
    assert run("native", "push", "--course", str(course.course_id)).exit_code == 0
    mirrored = {o.vendor_guid for o in native_outcomes(course.stack.state).outcomes.values()}
    platform = str(platform_of(course))
    result = run(
        "native", "import-canvas-outcomes", "--platform", platform, "--course", course.sandbox_course,
        "--code", "FROM-CANVAS", "--publish",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "FROM-CANVAS version 1 (published)" in result.output
    with course.stack.database.begin() as session:
        document = load_document(session, get_framework(session, "FROM-CANVAS"))
    assert {i.code for i in document.indicators} == mirrored
    assert [level.label for level in document.scale.levels] == list(LEVELS)
    assert document.scale.meets == Decimal(3)
    again = run(
        "native", "import-canvas-outcomes", "--platform", platform, "--course", course.sandbox_course,
        "--code", "FROM-CANVAS",
    )  # fmt: skip
    assert again.exit_code == 0 and "FROM-CANVAS version 1 (published)" in again.output  # unchanged


def _account_outcomes(course) -> None:
    """Mathematics > Number sense (2 outcomes), Mathematics > Algebra (1, rated otherwise)."""
    state = course.stack.state
    token = state.lms_api.add_personal_token(course.stack.seed.admin_id)
    api = f"{state.base_url}/api/v1/accounts/1"
    headers = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict) -> dict:
        answer = httpx.post(f"{api}{path}", json=body, headers=headers, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()

    root = httpx.get(f"{api}/root_outcome_group", headers=headers, timeout=5).json()["id"]
    maths = post(f"/outcome_groups/{root}/subgroups", {"title": "Mathematics"})["id"]
    number = post(f"/outcome_groups/{maths}/subgroups", {"title": "Number sense"})["id"]
    algebra = post(f"/outcome_groups/{maths}/subgroups", {"title": "Algebra"})["id"]
    ratings = [{"description": label, "points": p} for p, label in reversed(list(enumerate(LEVELS, 1)))]
    for title in ("Compare fractions", "Place value"):
        post(f"/outcome_groups/{number}/outcomes", {"title": title, "ratings": ratings, "mastery_points": 3})
    post(
        f"/outcome_groups/{algebra}/outcomes",
        {
            "title": "Linear equations",
            "ratings": [{"description": "Yes", "points": 1}, {"description": "No", "points": 0}],
            "mastery_points": 1,
        },
    )


def test_import_account_outcomes_maps_groups_to_areas_and_standards(canvas):
    course, run = canvas
    _account_outcomes(course)
    result = run("native", "import-canvas-outcomes", "--platform", str(platform_of(course)), "--account", "1")
    assert result.exit_code == 0, result.output
    assert "CANVAS-ACCOUNT-1 version 1 (draft)" in result.output
    assert "1 outcome(s) rate on other levels than most (Linear equations)" in result.output
    with course.stack.database.begin() as session:
        document = load_document(session, get_framework(session, "CANVAS-ACCOUNT-1"))
    assert [(a.title, [s.title for s in a.standards]) for a in document.content_areas] == [
        ("Mathematics", ["Number sense", "Algebra"])
    ]
    assert [i.title for i in document.indicators] == ["Compare fractions", "Place value", "Linear equations"]
    assert [level.value for level in document.scale.levels] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "give exactly one of --course"),
        (("--course", "1", "--account", "1"), "give exactly one of --course"),
        (("--account", "2"), "does not exist"),
    ],
)
def test_import_refusals(canvas, args, said):
    course, run = canvas
    result = run("native", "import-canvas-outcomes", "--platform", str(platform_of(course)), *args)
    assert result.exit_code != 0 and said in result.output, result.output


def test_import_without_an_admin_token_names_the_command(canvas):
    course, run = canvas
    platform = platform_of(course)
    with course.stack.database.begin() as session:
        save_credentials(
            session, course.bridge.secret_box, platform_id=platform, kind=Preset.CANVAS, token=""
        )
    result = run("native", "import-canvas-outcomes", "--platform", str(platform), "--account", "1")
    assert result.exit_code == 1
    assert f"pbridge lms connect canvas --platform {platform} --admin-token" in result.output


def test_import_of_a_course_without_outcomes_stores_nothing(canvas):
    course, run = canvas
    platform = str(platform_of(course))
    result = run(
        "native", "import-canvas-outcomes", "--platform", platform, "--course", course.sandbox_course
    )
    assert result.exit_code == 1 and "has no outcomes in Canvas" in result.output
    with course.stack.database.begin() as session:
        from store.framework_repository import list_frameworks

        assert not [f for f in list_frameworks(session) if f.code.startswith("CANVAS-")]
