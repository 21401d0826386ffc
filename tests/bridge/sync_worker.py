"""Runs one course sync in its own process, so a test can kill it with SIGKILL midway."""

from __future__ import annotations

import sys

import httpx

from bridge.context import Bridge
from bridge.lms_sync import sync_course
from store.database import Database
from store.secret_box import SecretBox


def main() -> None:
    database_url, secret_key, course_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bridge = Bridge(
        Database(database_url),
        SecretBox.from_settings(None, secret_key),
        http=httpx.Client(timeout=10.0),
        max_concurrency=4,
    )
    sync_course(bridge, course_id)
    print("finished")


if __name__ == "__main__":
    main()
