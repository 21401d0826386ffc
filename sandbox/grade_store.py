"""Where the sandbox keeps line items, posted scores, results, assignments and submissions.

Every posted score is kept in order (the history a platform audit would show); the result is
whatever the latest accepted score made of it. Callers hold no references into the store:
everything handed out is a frozen value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sandbox.gradebook import Assignment, LineItem, Result, Score, Submission


class GradeStore:
    """Thread-safe collections of the gradebook, sharing the state's lock and id sequence."""

    def __init__(self, lock: threading.RLock, next_id: Callable[[str], str]) -> None:
        self._lock = lock
        self._next_id = next_id
        self._line_items: dict[str, LineItem] = {}
        #: line item id -> user sub -> history / current result (indexed for big schools)
        self._scores: dict[str, dict[str, list[Score]]] = {}
        self._results: dict[str, dict[str, Result]] = {}
        self._assignments: dict[str, Assignment] = {}
        self._submissions: dict[tuple[str, str], Submission] = {}

    # AGS line items -------------------------------------------------------------------------

    def add_line_item(self, **fields: Any) -> LineItem:
        with self._lock:
            item = LineItem(id=self._next_id("line_item"), **fields)
            self._line_items[item.id] = item
            return item

    def line_item(self, item_id: str) -> LineItem | None:
        with self._lock:
            return self._line_items.get(item_id)

    def line_items(self, course_id: str, client_id: str | None = None) -> list[LineItem]:
        """A course's line items in creation order; only `client_id`'s when given."""
        with self._lock:
            return [
                item
                for item in self._line_items.values()
                if item.course_id == course_id and (client_id is None or item.owner_client_id == client_id)
            ]

    def update_line_item(self, item_id: str, **changes: Any) -> LineItem:
        with self._lock:
            item = replace(self._line_items[item_id], **changes)
            self._line_items[item_id] = item
            return item

    def delete_line_item(self, item_id: str) -> None:
        with self._lock:
            self._line_items.pop(item_id, None)
            self._results.pop(item_id, None)

    # scores and results ---------------------------------------------------------------------

    def last_score(self, item_id: str, user_sub: str) -> Score | None:
        with self._lock:
            history = self._scores.get(item_id, {}).get(user_sub)
            return history[-1] if history else None

    def score_history(self, item_id: str, user_sub: str) -> list[Score]:
        with self._lock:
            return list(self._scores.get(item_id, {}).get(user_sub, ()))

    def all_scores(self) -> list[Score]:
        with self._lock:
            return [
                score
                for by_user in self._scores.values()
                for history in by_user.values()
                for score in history
            ]

    def accept_score(
        self,
        score: Score,
        *,
        result_score: float | None,
        result_maximum: float | None,
    ) -> Result:
        """Keep `score` in the history and make it the user's current result."""
        item_id, sub = score.line_item_id, score.user_sub
        with self._lock:
            self._scores.setdefault(item_id, {}).setdefault(sub, []).append(score)
            previous = self._results.get(item_id, {}).get(sub)
            result = Result(
                id=previous.id if previous else self._next_id("result"),
                line_item_id=score.line_item_id,
                user_sub=score.user_sub,
                result_score=result_score,
                result_maximum=result_maximum,
                comment=score.comment,
                timestamp=score.timestamp,
            )
            self._results.setdefault(item_id, {})[sub] = result
            return result

    def result(self, item_id: str, user_sub: str) -> Result | None:
        with self._lock:
            return self._results.get(item_id, {}).get(user_sub)

    def results(self, item_id: str) -> list[Result]:
        with self._lock:
            return list(self._results.get(item_id, {}).values())

    # native assignments ---------------------------------------------------------------------

    def add_assignment(self, **fields: Any) -> Assignment:
        with self._lock:
            assignment = Assignment(id=self._next_id("assignment"), **fields)
            self._assignments[assignment.id] = assignment
            return assignment

    def assignment(self, assignment_id: str) -> Assignment | None:
        with self._lock:
            return self._assignments.get(assignment_id)

    def assignments(self, course_id: str) -> list[Assignment]:
        with self._lock:
            found = [a for a in self._assignments.values() if a.course_id == course_id]
        return sorted(found, key=lambda assignment: (assignment.position, int(assignment.id)))

    def set_submission(self, assignment_id: str, user_id: str, **fields: Any) -> Submission:
        """Create or replace the user's submission to a native assignment."""
        with self._lock:
            if assignment_id not in self._assignments:
                raise KeyError(f"no assignment {assignment_id!r}")
            key = (assignment_id, user_id)
            previous = self._submissions.get(key)
            submission_id = previous.id if previous else self._next_id("submission")
            submission = Submission(id=submission_id, assignment_id=assignment_id, user_id=user_id, **fields)
            self._submissions[key] = submission
            return submission

    def submission(self, assignment_id: str, user_id: str) -> Submission | None:
        with self._lock:
            return self._submissions.get((assignment_id, user_id))

    def submissions(self, assignment_id: str) -> list[Submission]:
        with self._lock:
            return [s for key, s in self._submissions.items() if key[0] == assignment_id]
