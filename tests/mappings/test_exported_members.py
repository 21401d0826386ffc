"""`mappings.__all__` is the package's public face: exactly what it exports, and every name
the other packages take from `mappings.*` (as httpx's tests/test_exported_members.py keeps
httpx's honest). Its order is ruff's (RUF022)."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import mappings

ROOT = Path(__file__).resolve().parents[2]
#: the packages whose imports from `mappings.*` the public face must cover
USERS = ("store", "bridge", "lti", "pbridge")


def names_used_elsewhere() -> dict[str, set[str]]:
    """Each name imported from a `mappings` module by the other packages, and by which files."""
    used: dict[str, set[str]] = {}
    for package in USERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                    continue
                if node.module != "mappings" and not node.module.startswith("mappings."):
                    continue
                for alias in node.names:
                    if not isinstance(getattr(mappings, alias.name, None), types.ModuleType):
                        used.setdefault(alias.name, set()).add(str(path.relative_to(ROOT)))
    return used


def test_all_is_exactly_what_the_package_exports():
    exported = {
        name
        for name, value in vars(mappings).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert len(mappings.__all__) == len(set(mappings.__all__)), "a name is listed twice"
    assert set(mappings.__all__) == exported


def test_every_name_other_packages_use_is_exported():
    missing = {
        name: sorted(files) for name, files in names_used_elsewhere().items() if name not in mappings.__all__
    }
    assert not missing, f"import these in mappings/__init__.py and add them to __all__: {missing}"


def test_exported_names_are_the_modules_own():
    for name in mappings.__all__:
        value = getattr(mappings, name)
        module = getattr(value, "__module__", None)
        if module is not None and isinstance(value, type | types.FunctionType):
            assert module.startswith("mappings."), (name, module)
