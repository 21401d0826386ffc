"""The whole sandbox platform in memory: one `SandboxState` per running LMS.

Tests and the demo build a state (`SandboxState.for_flavour("canvas")`), register the tool,
add people and courses (or let `sandbox.seed` do it), then serve it with
`sandbox.serve(sandbox.create_app(state))`. Everything is guarded by one re-entrant lock so
the threaded server can answer a JWKS fetch while a launch is in flight.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import threading
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from sandbox.access import AccessTokenStore
from sandbox.faults import FaultPlan
from sandbox.flavours import Flavour, fill_path, flavour_named
from sandbox.grade_store import GradeStore
from sandbox.keys import KeyRing
from sandbox.launches import (
    DEEP_LINKING_REQUEST,
    MESSAGE_TYPES,
    LaunchBook,
    LoginInitiation,
)
from sandbox.lms_api_access import LmsApiAccess
from sandbox.people import PeopleMixin
from sandbox.registry import ALL_SCOPES, ResourceLink, ToolRegistration
from sandbox.tampering import TamperQueue
from sandbox.tool_keys import ToolKeyCache

#: where each kind of id starts, per flavour (Canvas, Moodle, Schoology ids look like theirs)
ID_STARTS: dict[str, dict[str, int]] = {
    "canvas": {"course": 101, "user": 1001, "line_item": 1, "assignment": 201, "result": 1},
    "moodle": {"course": 2, "user": 3, "line_item": 10, "assignment": 20, "result": 1},
    "schoology": {"course": 7012345001, "user": 90000001, "line_item": 5001, "assignment": 8001},
    "generic": {},
}

DEFAULT_BASE_URL = "http://sandbox.invalid"


@functools.lru_cache(maxsize=8192)
def _filled(rule: str, values: tuple[tuple[str, str], ...]) -> str:
    """`fill_path`, remembered: service URLs are built for every item of every answer."""
    return fill_path(rule, **dict(values))


class SandboxState(PeopleMixin):
    """An LTI 1.3 platform's data: keys, tools, people, courses, gradebook, launches."""

    def __init__(
        self,
        flavour: Flavour,
        *,
        base_url: str | None = None,
        issuer: str | None = None,
        keys: KeyRing | None = None,
        http: httpx.Client | None = None,
        fault_seed: int = 0,
    ) -> None:
        self.flavour = flavour
        self.lock = threading.RLock()
        self._base_url = base_url.rstrip("/") if base_url else None
        self._issuer = issuer
        self.keys = keys or KeyRing()
        self.tools: dict[str, ToolRegistration] = {}
        self.resource_links: dict[str, ResourceLink] = {}
        #: content other than resource links placed by deep linking (html, link, file, image)
        self.course_content: list[dict[str, Any]] = []
        self._counters: dict[str, itertools.count[int]] = {}
        self.grades = GradeStore(self.lock, self.next_id)
        self.launches = LaunchBook()
        self.tokens = AccessTokenStore()
        #: credentials of the LMS's own APIs (Canvas REST, Moodle web services, Schoology)
        self.lms_api = LmsApiAccess()
        self.tool_keys = ToolKeyCache(http)
        self.faults = FaultPlan(seed=fault_seed)
        self.tampering = TamperQueue()
        #: Moodle's "grade sync only" mode: line items are read-only for every tool
        self.grade_sync_only = False
        self._init_people()

    @classmethod
    def for_flavour(
        cls, name: str, *, base_url: str | None = None, issuer: str | None = None, **options: Any
    ) -> SandboxState:
        """A platform of flavour `name` (canvas, moodle, schoology, generic).

        `base_url` may be left out when the state is served with `sandbox.serve`, which fills
        it with the address it listens on. The issuer defaults to the flavour's hosted issuer
        (Canvas, Schoology) or to the base URL (Moodle, generic).
        """
        return cls(flavour_named(name), base_url=base_url, issuer=issuer, **options)

    # addresses ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url or DEFAULT_BASE_URL

    @property
    def has_base_url(self) -> bool:
        return self._base_url is not None

    def bind_base_url(self, url: str) -> None:
        """Set the address the platform is served at (done by `serve` when it was unset)."""
        self._base_url = url.rstrip("/")

    @property
    def issuer(self) -> str:
        return self._issuer or self.flavour.hosted_issuer or self.base_url

    def url(self, path: str, **query: str) -> str:
        address = self.base_url + path
        return address + ("?" + urlencode(query) if query else "")

    @property
    def auth_url(self) -> str:
        return self.url(self.flavour.auth_path)

    @property
    def token_url(self) -> str:
        return self.url(self.flavour.token_path)

    @property
    def jwks_url(self) -> str:
        return self.url(self.flavour.jwks_path)

    def service_url(self, rule: str, **values: str) -> str:
        return self.base_url + _filled(rule, tuple(values.items()))

    def next_id(self, kind: str) -> str:
        with self.lock:
            counter = self._counters.get(kind)
            if counter is None:
                start = ID_STARTS.get(self.flavour.name, {}).get(kind, 1)
                counter = self._counters[kind] = itertools.count(start)
            return str(next(counter))

    def opaque_id(self, *parts: str) -> str:
        """A stable opaque identifier (Canvas-style context and resource link ids)."""
        return hashlib.sha1(  # noqa: S324 - an identifier, not a security measure
            ":".join((self.issuer, *parts)).encode()
        ).hexdigest()

    def user_sub(self, user_id: str) -> str:
        """The `sub` a new user gets: numeric on Moodle and Schoology, a UUID elsewhere."""
        if self.flavour.name in ("moodle", "schoology"):
            return user_id
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/users/{user_id}"))

    # tools ----------------------------------------------------------------------------------

    def register_tool(
        self,
        *,
        client_id: str,
        deployment_ids: list[str] | tuple[str, ...],
        login_url: str,
        redirect_uris: list[str] | tuple[str, ...],
        jwks_url: str | None = None,
        public_jwks: dict[str, Any] | None = None,
        target_link_uri: str | None = None,
        deep_link_url: str | None = None,
        scopes: list[str] | tuple[str, ...] = ALL_SCOPES,
        custom: dict[str, str] | None = None,
        name: str = "Tool",
    ) -> ToolRegistration:
        """Register (or re-register) a tool; `target_link_uri` defaults to the first redirect URI."""
        if not deployment_ids:
            raise ValueError(f"tool {client_id!r} needs at least one deployment id")
        if not redirect_uris:
            raise ValueError(f"tool {client_id!r} needs at least one redirect URI")
        if jwks_url is None and public_jwks is None:
            raise ValueError(f"tool {client_id!r} needs a jwks_url or a public_jwks")
        unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
        if unknown:
            raise ValueError(f"tool {client_id!r}: unknown scopes {unknown}")
        tool = ToolRegistration(
            client_id=client_id,
            deployment_ids=tuple(deployment_ids),
            login_url=login_url,
            redirect_uris=tuple(redirect_uris),
            jwks_url=jwks_url,
            public_jwks=public_jwks,
            target_link_uri=target_link_uri or redirect_uris[0],
            deep_link_url=deep_link_url,
            scopes=tuple(scopes),
            custom=dict(custom or {}),
            name=name,
        )
        with self.lock:
            self.tools[client_id] = tool
        return tool

    def tool(self, client_id: str) -> ToolRegistration | None:
        with self.lock:
            return self.tools.get(client_id)

    def only_tool(self) -> ToolRegistration:
        with self.lock:
            tools = list(self.tools.values())
        if len(tools) != 1:
            raise LookupError(f"{len(tools)} tools are registered: say which one with client_id=...")
        return tools[0]

    def add_resource_link(
        self,
        *,
        course_id: str,
        client_id: str,
        title: str,
        deployment_id: str | None = None,
        url: str | None = None,
        custom: dict[str, Any] | None = None,
        description: str = "",
        from_deep_link: bool = False,
    ) -> ResourceLink:
        tool = self.tools[client_id]
        with self.lock:
            link_number = self.next_id("resource_link")
            link_id = (
                self.opaque_id("resource_link", link_number) if self.flavour.name == "canvas" else link_number
            )
            link = ResourceLink(
                id=link_id,
                course_id=course_id,
                client_id=client_id,
                deployment_id=deployment_id or tool.deployment_ids[0],
                title=title,
                url=url,
                description=description,
                custom=dict(custom or {}),
                from_deep_link=from_deep_link,
            )
            self.resource_links[link.id] = link
            return link

    def course_placement(self, course_id: str, client_id: str, deployment_id: str) -> ResourceLink:
        """The course-navigation link of a tool in a course (account navigation when the
        course id is empty), made on first use."""
        title = "Course navigation" if course_id else "Account navigation"
        with self.lock:
            for link in self.resource_links.values():
                if (
                    link.course_id == course_id
                    and link.client_id == client_id
                    and link.deployment_id == deployment_id
                    and link.title == title
                ):
                    return link
            return self.add_resource_link(
                course_id=course_id,
                client_id=client_id,
                deployment_id=deployment_id,
                title=title,
            )

    # launches -------------------------------------------------------------------------------

    def begin_launch(
        self,
        *,
        user: str,
        course: str | None = None,
        resource_link: str | None = None,
        message_type: str = "LtiResourceLinkRequest",
        client_id: str | None = None,
        deployment_id: str | None = None,
        document_target: str = "iframe",
    ) -> LoginInitiation:
        """Start a launch: the login initiation request the browser is sent to.

        Raises LookupError/ValueError naming what is unknown or not allowed.
        """
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {MESSAGE_TYPES}, not {message_type!r}")
        person = self.find_user(user)
        link = self.resource_links.get(resource_link) if resource_link else None
        if resource_link and link is None:
            raise LookupError(f"no resource link {resource_link!r}")
        if link is not None:
            course = course or link.course_id
            client_id = client_id or link.client_id
        tool = self.tools.get(client_id) if client_id else self.only_tool()
        if tool is None:
            raise LookupError(f"no tool registered with client_id {client_id!r}")
        deployment = deployment_id or (link.deployment_id if link else tool.deployment_ids[0])
        if not tool.has_deployment(deployment):
            raise ValueError(f"tool {tool.client_id!r} has no deployment {deployment!r}")
        if course is not None:
            self.check_can_launch(person, self.find_course(course).id)
            course = self.find_course(course).id
        if message_type == DEEP_LINKING_REQUEST:
            if tool.deep_link_url is None:
                raise ValueError(f"tool {tool.client_id!r} has no deep linking URL registered")
            target, link_id = tool.deep_link_url, None
        elif link is None:
            # a resource-link launch always names a link: the course's navigation placement,
            # or, outside any course (an admin's account menu), the account's
            link = self.course_placement(course or "", tool.client_id, deployment)
            target, link_id = tool.target_link_uri, link.id
        else:
            target = link.url if link and link.url else tool.target_link_uri
            link_id = link.id if link else None
        pending = self.launches.issue(
            login_hint=self.opaque_id("login", person.id),
            client_id=tool.client_id,
            deployment_id=deployment,
            user_id=person.id,
            course_id=course,
            resource_link_id=link_id,
            message_type=message_type,
            target_link_uri=target,
            document_target=document_target,
        )
        params = {
            "iss": self.issuer,
            "login_hint": pending.login_hint,
            "target_link_uri": target,
            "lti_message_hint": pending.message_hint,
            "client_id": tool.client_id,
            "lti_deployment_id": deployment,
        }
        if self.flavour.name == "canvas":
            params |= {
                "deployment_id": deployment,
                "canvas_region": "us-east-1",
                "canvas_environment": "prod",
            }
            if document_target == "iframe":
                # Platform Storage needs the platform's frames around the tool's iframe
                params["lti_storage_target"] = "post_message_forwarding"
        return LoginInitiation(url=tool.login_url, params=params)

    def launch_url(self, **query: str) -> str:
        """The sandbox address that starts a launch in a browser (`/sandbox/launch?...`)."""
        return self.url("/sandbox/launch", **{k: v for k, v in query.items() if v is not None})
