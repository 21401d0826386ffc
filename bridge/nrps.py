"""Names and Role Provisioning Services 2.0: who is in the course.

Pages are asked for at the platform's cap (Canvas 50, Schoology 100) and followed to the end
through `Link: rel="next"`; Moodle's short role names and empty sourcedIds are normalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.http import PlatformHttp
from bridge.paging import next_link
from bridge.service_tokens import ServiceTokens
from pbridge.errors import PlatformRejected

SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
PAGE_SIZES = {"canvas": 50, "schoology": 100, "moodle": 100, "generic": 100}


@dataclass(frozen=True)
class Member:
    user_id: str
    roles: tuple[str, ...]
    status: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    lis_person_sourcedid: str | None = None

    @property
    def is_learner(self) -> bool:
        return any(role.rsplit("#", 1)[-1].rsplit("/", 1)[-1] == "Learner" for role in self.roles)

    @property
    def is_active(self) -> bool:
        return self.status.lower() == "active"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Member:
        return cls(
            user_id=str(data["user_id"]),
            roles=tuple(str(r) for r in data.get("roles") or ()),
            status=str(data.get("status") or "Active"),
            name=str(data.get("name") or ""),
            given_name=str(data.get("given_name") or ""),
            family_name=str(data.get("family_name") or ""),
            email=str(data.get("email") or ""),
            lis_person_sourcedid=(data.get("lis_person_sourcedid") or None),
        )


def memberships(
    http: PlatformHttp,
    tokens: ServiceTokens,
    url: str,
    *,
    scopes: frozenset[str] = frozenset({SCOPE_MEMBERSHIPS}),
    flavour: str = "generic",
) -> list[Member]:
    """Every member of the course, all pages. `scopes`: the token asked for (one token
    covering AGS and NRPS saves a grant per course)."""
    size = PAGE_SIZES.get(flavour, 100)
    separator = "&" if "?" in url else "?"
    next_url: str | None = f"{url}{separator}limit={size}"
    members: list[Member] = []
    while next_url:
        response = http.get(
            next_url,
            headers={
                "Accept": MEMBERSHIP_CONTAINER,
                "Authorization": f"Bearer {tokens.token(sorted(scopes | {SCOPE_MEMBERSHIPS}))}",
            },
            expected=(200,),
        )
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise PlatformRejected("the membership service answered without a members list", url=next_url)
        members.extend(
            Member.from_json(m) for m in body["members"] if isinstance(m, dict) and m.get("user_id")
        )
        next_url = next_link(response.headers.get("Link"))
    return members
