"""What one unit of a sync did: counts, notices for the teacher, problems with their reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from pbridge.errors import PlatformError


@dataclass
class Problem:
    subject: str
    reason: str
    status: int | None = None

    @classmethod
    def of(cls, subject: str, error: PlatformError) -> Problem:
        return cls(subject, str(error), error.status)


@dataclass
class CourseOutcome:
    pulled: int = 0
    computed: int = 0
    written: int = 0
    skipped: int = 0
    failed: int = 0
    #: what the platform does not allow and the teacher should know (grade sync only, ...)
    notices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
