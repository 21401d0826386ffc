"""Subcommands of `pbridge`, one module per area; each exposes `commands: list[click.Command]`."""
