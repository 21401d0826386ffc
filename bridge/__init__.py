"""Moving data between systems: AGS and NRPS, the LMSs' own APIs, OneRoster, CSV, sync runs.

`bridge/` never imports `lti/`. Every client takes a `PlatformHttp` (which wraps one
`httpx.Client`), so tests hand it the sandbox over loopback or a `MockTransport`.

The LMS side's public face is here; the LMSs' own APIs (`bridge.lms_api`), OneRoster
(`bridge.oneroster`) and Celery jobs (`bridge.jobs`, which imports Celery) keep their own.
"""

from bridge.ags import AgsClient, LineItem, NewLineItem, Result, Score
from bridge.context import Bridge
from bridge.freshness import needs_sync
from bridge.http import PlatformHttp, RetryPolicy, make_client
from bridge.lms_sync import sync_course
from bridge.nrps import Member, memberships
from bridge.outcome import CourseOutcome, Problem
from bridge.paging import next_link, parse_links
from bridge.runs import Progress, courses_to_sync, execute_run, start_run
from bridge.service_tokens import MemoryTokenCache, RedisTokenCache, ServiceTokens, ToolIdentity

__all__ = [
    "AgsClient",
    "Bridge",
    "CourseOutcome",
    "LineItem",
    "Member",
    "MemoryTokenCache",
    "NewLineItem",
    "PlatformHttp",
    "Problem",
    "Progress",
    "RedisTokenCache",
    "Result",
    "RetryPolicy",
    "Score",
    "ServiceTokens",
    "ToolIdentity",
    "courses_to_sync",
    "execute_run",
    "make_client",
    "memberships",
    "needs_sync",
    "next_link",
    "parse_links",
    "start_run",
    "sync_course",
]
