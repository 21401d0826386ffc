"""The district calculation policy as an admin edits it, and saving it (audited, recomputed).

The form names the default method and its parameters, the minimum number of observations,
the roll-up rule, the verification rule, what a course may choose, and the habits' method.
Everything is checked by `mappings.policy.Policy` before anything is stored, and so is every
course's own choice under the new policy. Saving queues a recompute of every standing, since
every one may depend on it (`bridge.recompute_runs`: minutes for a large district, so not in
the request); the page shows that run until it is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bridge.recompute_runs import (
    COMPUTING,
    KIND,
    WAITING,
    latest_district_recompute,
    queue_district_recompute,
)
from bridge.runs import FINISHED
from mappings.calculation import METHODS, CalculationMethod, MethodChoice
from mappings.policy import Policy
from mappings.rollup import ROUNDINGS, RULES, RollupRule
from mappings.verification import VerificationRule
from pbridge.errors import CalculationError, ProficiencyBridgeError
from store.audit import record_change
from store.policies import choices_refused_by, district_policy, set_district_policy
from store.sync_runs import RunStatus, SyncRun

ROLLUP_WORDS = {
    "mean": "Mean of the indicator standings",
    "weighted_mean": "Weighted mean",
    "minimum": "The lowest indicator standing",
    "all_at_least": "Every indicator at least level L",
    "share_at_least": "At least L on P % of indicators, none below M",
}


STEP_WORDS = {
    "": "Waiting for a worker to start the recalculation",
    WAITING: "Waiting for the recalculation already running to finish",
    COMPUTING: "Recalculating every standing",
}


@dataclass(frozen=True, slots=True)
class Recalculation:
    """The latest recompute of every standing, as the policy page reports it."""

    run_id: int
    status: RunStatus
    finished: bool
    message: str
    started_at: str
    finished_at: str
    errors: tuple[str, ...]
    #: passes of students planned and done (one until the run has listed the students)
    units_total: int
    units_done: int
    #: standings whose value changed: what the gradebooks have yet to receive
    changed: int

    @classmethod
    def of(cls, run: SyncRun) -> Recalculation:
        finished = run.status in FINISHED
        errors = tuple(f"{e.subject}: {e.reason}" for e in run.errors)
        reasons = "; ".join(errors) or "no reason was recorded"
        if not finished:
            message = _under_way(run)
        elif run.status is RunStatus.SUCCEEDED:
            message = f"Every standing was recalculated: {run.computed} changed."
        elif run.status is RunStatus.PARTIAL:
            message = (
                f"The recalculation finished with errors ({reasons}); the other students' standings "
                f"were recalculated: {run.computed} changed."
            )
        else:
            message = f"The recalculation failed: {reasons}."
        return cls(
            run_id=run.id,
            status=run.status,
            finished=finished,
            message=message,
            started_at=_when(run.started_at or run.created_at),
            finished_at=_when(run.finished_at),
            errors=errors,
            units_total=max(1, run.units_total),
            units_done=run.units_done,
            changed=run.computed,
        )

    def progress(self) -> dict[str, Any]:
        """What the page's progress script reads (the same shape as a sync's)."""
        return {
            "run_id": self.run_id,
            "status": self.status.value,
            "units_total": self.units_total,
            "units_done": self.units_done,
            "finished": self.finished,
            "message": self.message,
        }


def _under_way(run: SyncRun) -> str:
    """What a run still under way is doing: waiting, or how many of its passes of students
    are done (the unit running says which)."""
    running = [u for u in run.units if u.status is RunStatus.RUNNING]
    step = running[0].step if running else ""
    words = STEP_WORDS.get(step, step)
    students = run.scope.get("students")
    if step == COMPUTING and run.units_total > 1 and students:
        words += f": {run.units_done} of {run.units_total} parts done ({students:,} students in all)"
    return words + "…"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%b %-d, %Y %H:%M UTC") if moment else ""


@dataclass(frozen=True, slots=True)
class PolicyForm:
    policy: Policy
    methods: tuple[CalculationMethod, ...]
    rules: tuple[tuple[str, str], ...]
    roundings: tuple[str, ...]
    recalculation: Recalculation | None


def policy_form(session: Session) -> PolicyForm:
    latest = latest_district_recompute(session)
    return PolicyForm(
        policy=district_policy(session),
        methods=tuple(METHODS.values()),
        rules=tuple((r, ROLLUP_WORDS.get(r, r)) for r in RULES),
        roundings=tuple(ROUNDINGS),
        recalculation=None if latest is None else Recalculation.of(latest),
    )


class RecalculationNotFound(ProficiencyBridgeError):
    status_code = 404


def recalculation(session: Session, run_id: int) -> Recalculation:
    """One district recompute run (any other run id is not found here)."""
    run = session.get(SyncRun, run_id)
    if run is None or run.kind != KIND:
        raise RecalculationNotFound(f"there is no recalculation {run_id}")
    return Recalculation.of(run)


def _method(form: Mapping[str, Any], prefix: str) -> MethodChoice:
    name = str(form.get(f"{prefix}method", ""))
    method = METHODS.get(name)
    if method is None:
        raise CalculationError(f"choose a calculation method ({', '.join(METHODS)})")
    params = {
        p.name: form[f"{prefix}{p.name}"]
        for p in method.parameters
        if str(form.get(f"{prefix}{p.name}", "")).strip()
    }
    return MethodChoice.of(name, params)


def _int(form: Mapping[str, Any], name: str, default: int) -> int:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise CalculationError(f"{name.replace('_', ' ')} must be a whole number, not {raw!r}")
    return int(raw)


def parse_policy(form: Mapping[str, Any]) -> Policy:
    rollup_params = {
        key: str(form.get(f"rollup_{key}")).strip()
        for key in ("level", "percent", "floor")
        if str(form.get(f"rollup_{key}", "")).strip()
    }
    rollup_params["rounding"] = str(form.get("rollup_rounding", "hundredths"))
    rollup_params["min_indicators"] = str(_int(form, "rollup_min_indicators", 1))
    verification = {
        "min_observations": _int(form, "verify_min_observations", 2),
        "min_courses": _int(form, "verify_min_courses", 1),
    }
    if str(form.get("verify_min_level", "")).strip():
        verification["min_level"] = str(form.get("verify_min_level")).strip()  # type: ignore[assignment]
    getlist = getattr(form, "getlist", None)
    allowed = getlist("course_methods") if getlist else form.get("course_methods", [])
    habits = _method(form, "habits_") if form.get("habits_method") else None
    return Policy(
        method=_method(form, ""),
        min_observations=_int(form, "min_observations", 1),
        rollup=RollupRule.of(str(form.get("rollup", "mean")), rollup_params),
        verification=VerificationRule.from_json(verification),
        course_methods=frozenset(str(m) for m in allowed),
        course_may_set_min_observations=bool(form.get("course_may_set_min_observations")),
        habits_method=habits,
    )


def save_policy(session: Session, form: Mapping[str, Any], *, actor_id: int) -> int:
    """Store the policy and queue the recompute it calls for; the run's id, to dispatch
    once the caller has committed both."""
    policy = parse_policy(form)
    refused = choices_refused_by(session, policy)
    if refused:
        named = "; ".join(f"{title}: {why}" for title, why in refused)
        raise CalculationError(
            f"this policy does not allow what {len(refused)} course(s) chose ({named}). Allow it here, "
            "or ask each course's teacher to change its choice first; nothing was saved"
        )
    set_district_policy(session, policy, by_user_id=actor_id)
    record_change(
        session,
        actor_id=actor_id,
        action="district policy changed",
        subject="the district calculation policy",
        detail=f"{policy.method.describe()}, at least {policy.min_observations} observation(s), "
        f"roll-up: {policy.rollup.describe()}",
        data=policy.to_json(),
    )
    return queue_district_recompute(
        session, trigger="admin", reason="district policy changed", started_by_user_id=actor_id
    )


def recalculate_now(session: Session, *, actor_id: int) -> int:
    """Queue a recompute of every standing under the policy as it is (after a failed one)."""
    return queue_district_recompute(
        session, trigger="admin", reason="asked for by an admin", started_by_user_id=actor_id
    )
