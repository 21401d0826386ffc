"""The `pbridge` command line: one Click group that also carries Flask's own commands.

Each area keeps its commands in a module of `pbridge.commands` that exposes `commands`, a
list of Click commands or groups; they are found here, so areas never edit this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import click
from flask.cli import FlaskGroup

import pbridge.commands
from pbridge.errors import ProficiencyBridgeError


def _create_app() -> Any:
    from lti import create_app

    return create_app()


class _Group(FlaskGroup):
    """Turns our errors into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProficiencyBridgeError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)


@click.group(cls=_Group, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """Proficiency Bridge: LTI 1.3 tool and bridge for proficiency-based learning."""


# Flask's own --app and --env-file options point elsewhere than our factory: not offered
main.params = [param for param in main.params if param.name not in {"app", "env_file"}]


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(pbridge.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"pbridge.commands.{module_info.name}")
        for command in getattr(module, "commands", []):
            main.add_command(command)


_register_commands()
