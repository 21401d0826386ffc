"""What every browser test does on a page: check accessibility and keep a screenshot."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import SCREENSHOTS

_axe = Axe()


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations of the page, one line each."""
    results = _axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def check_page(page: Any, name: str, *, full_page: bool = True) -> None:
    """No serious or critical axe violation, no page error, and a screenshot named `name`."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
    assert serious_violations(page) == [], name
