"""The platform flavours the sandbox imitates, and where their behaviours differ.

A tool that works only against the 1EdTech specs breaks on real platforms, so each flavour
carries the paths, page sizes and quirks of the platform it stands for (see
`shared/PLATFORMS.md`). Behaviour that differs in more than a number is switched on the
flavour's `name` in the module that implements it (`ags.py`, `nrps.py`, `tokens.py`).

Schoology's AGS and NRPS paths are not documented publicly; the sandbox gives them paths of
the same shape as its other lti-service endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

FLAVOUR_NAMES = ("canvas", "moodle", "schoology", "generic")


@dataclass(frozen=True)
class PageRule:
    """How a platform pages one kind of collection.

    `default` is the page size without a `limit` (None: everything in one answer);
    `cap` the largest page size the platform allows whatever the tool asks for.
    """

    default: int | None
    cap: int | None

    def size(self, asked: int | None) -> int | None:
        """The page size the platform actually uses for a request asking for `asked`."""
        size = asked if asked is not None else self.default
        if size is None:
            return None
        if self.cap is not None:
            size = min(size, self.cap)
        return max(size, 1)


@dataclass(frozen=True)
class Flavour:
    """Paths (Flask rule syntax) and page rules of one platform."""

    name: str
    auth_path: str
    token_path: str
    jwks_path: str
    line_items_path: str
    line_item_path: str
    memberships_path: str
    line_item_pages: PageRule
    result_pages: PageRule
    member_pages: PageRule
    #: the issuer real hosted instances use; None means "the sandbox's base URL"
    hosted_issuer: str | None
    #: deep linking content item types the platform accepts
    accept_types: tuple[str, ...]

    @property
    def results_path(self) -> str:
        return self.line_item_path + "/results"

    @property
    def scores_path(self) -> str:
        return self.line_item_path + "/scores"


CANVAS = Flavour(
    name="canvas",
    auth_path="/api/lti/authorize_redirect",
    token_path="/login/oauth2/token",
    jwks_path="/api/lti/security/jwks",
    line_items_path="/api/lti/courses/<course_id>/line_items",
    line_item_path="/api/lti/courses/<course_id>/line_items/<item_id>",
    memberships_path="/api/lti/courses/<course_id>/names_and_roles",
    line_item_pages=PageRule(default=10, cap=50),
    result_pages=PageRule(default=10, cap=50),
    member_pages=PageRule(default=10, cap=50),
    hosted_issuer="https://canvas.instructure.com",
    accept_types=("ltiResourceLink", "link", "html", "file", "image"),
)

MOODLE = Flavour(
    name="moodle",
    auth_path="/mod/lti/auth.php",
    token_path="/mod/lti/token.php",
    jwks_path="/mod/lti/certs.php",
    line_items_path="/mod/lti/services.php/<course_id>/lineitems",
    line_item_path="/mod/lti/services.php/<course_id>/lineitems/<item_id>/lineitem",
    memberships_path="/mod/lti/services.php/CourseSection/<course_id>/bindings/<type_id>/memberships",
    line_item_pages=PageRule(default=None, cap=None),
    result_pages=PageRule(default=None, cap=None),
    member_pages=PageRule(default=None, cap=None),
    hosted_issuer=None,
    accept_types=("ltiResourceLink",),
)

SCHOOLOGY = Flavour(
    name="schoology",
    auth_path="/lti-service/authorize-redirect",
    token_path="/lti-service/access-token",
    jwks_path="/lti-service/.well-known/jwks",
    line_items_path="/lti-service/ags/courses/<course_id>/lineitems",
    line_item_path="/lti-service/ags/courses/<course_id>/lineitems/<item_id>",
    memberships_path="/lti-service/nrps/courses/<course_id>/memberships",
    line_item_pages=PageRule(default=100, cap=100),
    result_pages=PageRule(default=100, cap=100),
    member_pages=PageRule(default=100, cap=100),
    hosted_issuer="https://schoology.schoology.com",
    accept_types=("ltiResourceLink", "html"),
)

GENERIC = Flavour(
    name="generic",
    auth_path="/auth",
    token_path="/token",
    jwks_path="/.well-known/jwks.json",
    line_items_path="/ags/courses/<course_id>/lineitems",
    line_item_path="/ags/courses/<course_id>/lineitems/<item_id>",
    memberships_path="/nrps/courses/<course_id>/memberships",
    line_item_pages=PageRule(default=20, cap=100),
    result_pages=PageRule(default=20, cap=100),
    member_pages=PageRule(default=20, cap=100),
    hosted_issuer=None,
    accept_types=("ltiResourceLink", "link", "html", "file", "image"),
)

FLAVOURS = {flavour.name: flavour for flavour in (CANVAS, MOODLE, SCHOOLOGY, GENERIC)}


def flavour_named(name: str) -> Flavour:
    """The flavour called `name`; a ValueError naming the choices otherwise."""
    try:
        return FLAVOURS[name]
    except KeyError:
        raise ValueError(
            f"unknown sandbox flavour {name!r}: choose one of {', '.join(FLAVOUR_NAMES)}"
        ) from None


def fill_path(rule: str, **values: str) -> str:
    """A concrete path from a Flask rule: `fill_path("/c/<course_id>", course_id="7")`."""
    path = rule
    for key, value in values.items():
        path = path.replace(f"<{key}>", value)
    if "<" in path:
        raise ValueError(f"path rule {rule!r} still has a placeholder after filling: {path}")
    return path
