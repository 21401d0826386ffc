"""What a validated launch changes: the user, the course, the membership, a web session."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from lti.launch import Audience, Launch
from store.launch_sessions import LaunchSession, open_session
from store.people import CourseRole, upsert_course, upsert_membership, upsert_user
from store.sis_links import link_lti_course, link_lti_user

_COURSE_ROLES = {
    Audience.TEACHER: CourseRole.TEACHER,
    Audience.STUDENT: CourseRole.STUDENT,
}


def complete_launch(session: Session, launch: Launch) -> LaunchSession:
    """Store who launched from where, and open the session the pages will use."""
    custom = launch.custom
    user = upsert_user(
        session,
        issuer=launch.issuer,
        sub=launch.sub,
        name=launch.name,
        given_name=launch.given_name,
        family_name=launch.family_name,
        email=launch.email,
        lis_person_sourcedid=launch.lis_person_sourcedid,
        lms_user_id=_custom(custom, "canvas_user_id", "lms_user_id"),
        launched=True,
        flush=False,
    )
    # a person or section the SIS already knows is linked when its sourcedId is new to us
    # (checked before the next query autoflushes the change away)
    link_user = _sourced_id_changed(user, "lis_person_sourcedid")
    if launch.is_admin:
        user.is_admin = True
    course = None
    link_course = False
    if launch.context_id:
        course = upsert_course(
            session,
            issuer=launch.issuer,
            context_id=launch.context_id,
            platform_id=launch.platform_id,
            deployment_id=launch.deployment_id,
            title=launch.context_title,
            label=launch.context_label,
            lis_course_section_sourcedid=launch.lis_course_section_sourcedid,
            lms_course_id=_custom(custom, "canvas_course_id", "lms_course_id"),
            lms_api_domain=_custom(custom, "canvas_api_domain", "lms_api_domain"),
            ags_lineitems_url=launch.ags.get("lineitems"),
            ags_scopes=list(launch.ags["scope"]) if launch.ags.get("scope") else None,
            nrps_memberships_url=launch.nrps_memberships_url,
            launched=True,
            flush=False,
        )
        link_course = _sourced_id_changed(course, "lis_course_section_sourcedid")
        role = _COURSE_ROLES.get(launch.audience, CourseRole.OTHER)
        upsert_membership(
            session, course=course, user=user, role=role, lti_roles=launch.roles, source="launch", flush=False
        )
    claims = {
        "message_type": launch.message_type,
        "deployment_id": launch.deployment_id,
        "resource_link_id": launch.resource_link_id,
        "return_url": launch.return_url,
        "document_target": launch.document_target,
        "deep_linking_settings": dict(launch.deep_linking_settings),
        "ags_lineitem": launch.ags.get("lineitem"),
    }
    opened = open_session(
        session,
        user=user,
        course=course,
        platform_id=launch.platform_id,
        role=launch.audience.value,
        is_admin=launch.is_admin,
        claims=claims,
    )
    if link_user:
        link_lti_user(session, user)
    if link_course and course is not None:
        link_lti_course(session, course)
    return opened


def _sourced_id_changed(row: object, attribute: str) -> bool:
    state = inspect(row)
    return bool(getattr(row, attribute)) and (
        state.pending or state.transient or state.attrs[attribute].history.has_changes()
    )


def _custom(custom: object, *names: str) -> str | None:
    """A custom parameter, unless the platform left the `$Variable` unsubstituted."""
    if not isinstance(custom, dict):
        return None
    for name in names:
        value = custom.get(name)
        if value and isinstance(value, str | int) and not str(value).startswith("$"):
            return str(value)
    return None
