"""Shipped data: platform presets and sample frameworks, found installed or not."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
FRAMEWORKS_DIR = CONFIG_DIR / "frameworks"
