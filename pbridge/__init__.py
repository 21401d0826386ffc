"""Proficiency Bridge: the shared core (settings, errors, the `pbridge` command line)."""
