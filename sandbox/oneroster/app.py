"""The OneRoster REST binding of the sandbox SIS: rostering and gradebook, 1.2 or 1.1.

Paths follow the spec: ``/ims/oneroster/rostering/v1p2/...`` and
``/ims/oneroster/gradebook/v1p2/...`` for 1.2, ``/ims/oneroster/v1p1/...`` for both in 1.1.
Collections answer `limit`/`offset` pages with `X-Total-Count` and a `Link` header (first,
prev, next, last), and take `filter`, `sort`/`orderBy` and `fields`. Errors are the spec's
`imsx_StatusInfo` objects with a code minor (`invalid_filter_field`, `unauthorisedrequest`,
`forbidden`, `unknownobject`, `invaliddata`, `server_busy`...).

`/oauth/token` is the OAuth 2 token endpoint (client credentials); in OAuth 1 mode every
request must carry an HMAC-SHA256 signature instead. `/_sandbox/...` is the control panel
for tests and benchmarks served in another process: counts and fault rules.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, request

from sandbox.oneroster.faults import FaultRule
from sandbox.oneroster.filters import FilterError, parse_filter
from sandbox.oneroster.oauth import OR11, OR12, AuthRefused
from sandbox.oneroster.state import GRADEBOOK_COLLECTIONS, REF_TYPES, OneRosterState, ref
from sandbox.oneroster.validation import PayloadInvalid, validate_single

ROSTERING_1_2 = "/ims/oneroster/rostering/v1p2"
GRADEBOOK_1_2 = "/ims/oneroster/gradebook/v1p2"
BOTH_1_1 = "/ims/oneroster/v1p1"
TOKEN_PATH = "/oauth/token"
#: stands for the host in cached record texts (no JSON string can contain a NUL byte raw)
HOST_MARK = "\u0000host\u0000"
HOST_MARK_IN_JSON = json.dumps(HOST_MARK)[1:-1]

COLLECTION_OF_TYPE = {kind: collection for collection, kind in REF_TYPES.items()}

#: endpoint name -> (collection, record test) for the rostering reads
ROSTER_ENDPOINTS: dict[str, tuple[str, Callable[[dict[str, Any]], bool] | None]] = {
    "orgs": ("orgs", None),
    "schools": ("orgs", lambda r: r.get("type") == "school"),
    "academicSessions": ("academicSessions", None),
    "terms": ("academicSessions", lambda r: r.get("type") == "term"),
    "gradingPeriods": ("academicSessions", lambda r: r.get("type") == "gradingPeriod"),
    "courses": ("courses", None),
    "classes": ("classes", None),
    "users": ("users", None),
    "students": ("users", lambda r: _primary_role(r) == "student"),
    "teachers": ("users", lambda r: _primary_role(r) == "teacher"),
    "enrollments": ("enrollments", None),
    "demographics": ("demographics", None),
}
SINGULAR = {"lineItems": "lineItem", "results": "result", "categories": "category"}


def _primary_role(record: dict[str, Any]) -> str:
    roles = record.get("roles") or []
    primary = [r for r in roles if r.get("roleType") == "primary"] or roles
    return str(primary[0]["role"]) if primary else str(record.get("role", ""))


def status_info(description: str, minor: str) -> dict[str, Any]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}
            ]
        },
    }


class Refusal(Exception):
    def __init__(self, status: int, minor: str, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.minor = minor
        self.description = description
        self.headers = headers or {}


def _json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")), status=status, headers=headers, mimetype="application/json"
    )


class OneRosterApi:
    """The views; one instance per app, all state in `OneRosterState`."""

    def __init__(self, state: OneRosterState) -> None:
        self.state = state
        self._texts: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        v = OR12 if state.version == "1.2" else OR11
        self.read_roster = frozenset({v + "roster-core.readonly", v + "roster.readonly"})
        #: demographics are sensitive: their own scope, which the roster scopes do not grant
        self.read_demographics = frozenset({v + "roster-demographics.readonly"})
        self.read_gradebook = frozenset({v + "gradebook.readonly", v + "gradebook-core.readonly"})
        self.write_gradebook = frozenset({v + "gradebook.createput"})
        self.delete_gradebook = frozenset({v + "gradebook.delete"})
        if state.version == "1.2":
            self.rostering_prefix, self.gradebook_prefix = ROSTERING_1_2, GRADEBOOK_1_2
        else:
            self.rostering_prefix = self.gradebook_prefix = BOTH_1_1

    # --- the gate every API request passes --------------------------------------------------

    def guard(self, kind: str, needs: frozenset[str]) -> None:
        state = self.state
        state.faults.count(f"{request.method} {kind}")
        fault = state.faults.decide(request.method, request.path)
        if fault.latency:
            time.sleep(fault.latency)
        if fault.status is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            minor = "server_busy" if fault.status in (429, 503) else "internal_server_error"
            raise Refusal(fault.status, minor, f"injected fault {fault.status}", headers)
        try:
            if state.auth == "oauth1":
                state.authority.check_oauth1(
                    method=request.method,
                    scheme=request.scheme,
                    host=request.host,
                    path=quote(request.path, safe="/-._~!$&'()*+,;=:@"),
                    raw_query=request.query_string.decode("latin-1"),
                    authorization=request.headers.get("Authorization"),
                    allowed_methods=state.oauth1_methods,
                )
            else:
                state.authority.check_bearer(request.headers.get("Authorization"), needs)
        except AuthRefused as refused:
            minor = "forbidden" if refused.status == 403 else "unauthorisedrequest"
            raise Refusal(refused.status, minor, refused.description) from None

    # --- rendering --------------------------------------------------------------------------

    def _href(self, value: Any, root: str | None = None) -> Any:
        if isinstance(value, dict) and "sourcedId" in value and value.get("type") in COLLECTION_OF_TYPE:
            collection = COLLECTION_OF_TYPE[value["type"]]
            prefix = self.gradebook_prefix if collection in GRADEBOOK_COLLECTIONS else self.rostering_prefix
            path = f"{prefix}/{collection}/{quote(value['sourcedId'], safe='')}"
            return {
                "href": f"{request.host_url.rstrip('/') if root is None else root}{path}",
                "sourcedId": value["sourcedId"],
                "type": value["type"],
            }
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [self._href(v, root) for v in value]
        return value

    def render(self, collection: str, record: dict[str, Any], root: str | None = None) -> dict[str, Any]:
        """The record as answered; `root` replaces the request's host in hrefs (templates)."""
        shown = self.state.in_version(collection, record)
        rendered = {}
        for key, value in shown.items():
            if key == "roles" and isinstance(value, list):
                rendered[key] = [{**r, "org": self._href(r["org"], root)} if "org" in r else r for r in value]
            else:
                rendered[key] = self._href(value, root)
        return rendered

    def listing(self, collection: str, records: list[dict[str, Any]], key: str) -> Response:
        args = request.args
        try:
            limit = int(args.get("limit", self.state.default_limit))
            offset = int(args.get("offset", 0))
        except ValueError:
            raise Refusal(400, "invaliddata", "limit and offset must be whole numbers") from None
        if limit < 1 or offset < 0:
            raise Refusal(400, "invaliddata", "limit must be at least 1 and offset at least 0")
        limit = min(limit, self.state.max_limit)
        known = set().union(*(r.keys() for r in records[:50])) | {"sourcedId", "status", "dateLastModified"}
        if args.get("filter"):
            try:
                test = parse_filter(args["filter"], fields=known)
                records = [r for r in records if test(r)]
            except FilterError as error:
                raise Refusal(400, "invalid_filter_field", str(error)) from None
        if args.get("sort"):
            field = args["sort"]
            if field not in known:
                raise Refusal(400, "invalid_selection_field", f"cannot sort by unknown field {field!r}")
            records = sorted(
                records,
                key=lambda r: (
                    str(r.get(field, {}).get("sourcedId", ""))
                    if isinstance(r.get(field), dict)
                    else str(r.get(field, ""))
                ),
                reverse=args.get("orderBy") == "desc",
            )
        total = len(records)
        headers = {"X-Total-Count": str(total), "Link": self._links(offset, limit, total)}
        if not args.get("fields"):
            texts = ",".join(self._rendered_text(collection, r) for r in records[offset : offset + limit])
            body = f'{{"{key}":[{texts}]}}'.replace(
                HOST_MARK_IN_JSON, json.dumps(request.host_url.rstrip("/"))[1:-1]
            )
            return Response(body, headers=headers, mimetype="application/json")
        wanted = [f.strip() for f in args["fields"].split(",") if f.strip()]
        unknown = [f for f in wanted if f not in known]
        if unknown:
            raise Refusal(400, "invalid_selection_field", f"unknown field(s) {', '.join(unknown)}")
        page = [self.render(collection, r) for r in records[offset : offset + limit]]
        return _json_response({key: [{f: r[f] for f in wanted if f in r} for r in page]}, headers=headers)

    def _rendered_text(self, collection: str, record: dict[str, Any]) -> str:
        """A record's JSON with a mark where the host goes, kept while the record is unchanged.

        Records are replaced, never edited in place, so the object's identity is its version;
        a district's pages are then served at the speed a real SIS would, not our renderer's.
        """
        cache_key = (collection, record["sourcedId"])
        cached = self._texts.get(cache_key)
        if cached is not None and cached[0] is record:
            return cached[1]
        text = json.dumps(self.render(collection, record, HOST_MARK), separators=(",", ":"))
        self._texts[cache_key] = (record, text)
        return text

    def prerender(self) -> int:
        """Render every record now (a benchmark's SIS should not pay our renderer on page one)."""
        with self.state.lock:
            listing = [(name, list(table.values())) for name, table in self.state.records.items()]
        for name, records in listing:
            for record in records:
                self._rendered_text(name, record)
        return sum(len(records) for _, records in listing)

    def _links(self, offset: int, limit: int, total: int) -> str:
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in {"limit", "offset"}]

        def url(at: int) -> str:
            params = [*kept, ("limit", str(limit)), ("offset", str(at))]
            query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
            return f"{request.base_url}?{query}"

        last = max(0, (total - 1) // limit * limit)
        links = [f'<{url(0)}>; rel="first"', f'<{url(last)}>; rel="last"']
        if offset + limit < total:
            links.append(f'<{url(offset + limit)}>; rel="next"')
        if offset > 0:
            links.append(f'<{url(max(0, offset - limit))}>; rel="prev"')
        return ", ".join(links)

    def single(self, collection: str, sourced_id: str, key: str) -> Response:
        record = self.state.get(collection, sourced_id)
        if record is None:
            raise Refusal(404, "unknownobject", f"no {key} with sourcedId {sourced_id!r}")
        return _json_response({key: self.render(collection, record)})

    # --- rostering --------------------------------------------------------------------------

    def roster_collection(self, endpoint: str) -> Response:
        if endpoint not in ROSTER_ENDPOINTS:
            raise Refusal(404, "unknownobject", f"no collection {endpoint!r}")
        self.guard(endpoint, self.read_demographics if endpoint == "demographics" else self.read_roster)
        collection, test = ROSTER_ENDPOINTS[endpoint]
        records = self.state.listing(collection)
        if test is not None:
            records = [r for r in records if test(r)]
        return self.listing(collection, records, _set_key(endpoint))

    def roster_single(self, endpoint: str, sourced_id: str) -> Response:
        if endpoint not in ROSTER_ENDPOINTS:
            raise Refusal(404, "unknownobject", f"no collection {endpoint!r}")
        self.guard(endpoint, self.read_demographics if endpoint == "demographics" else self.read_roster)
        collection, test = ROSTER_ENDPOINTS[endpoint]
        record = self.state.get(collection, sourced_id)
        if record is None or (test is not None and not test(record)):
            raise Refusal(404, "unknownobject", f"no {endpoint} record {sourced_id!r}")
        return _json_response({_single_key(collection): self.render(collection, record)})

    def class_members(self, class_id: str, role: str) -> Response:
        self.guard(f"class {role}s", self.read_roster)
        if self.state.get("classes", class_id) is None:
            raise Refusal(404, "unknownobject", f"no class {class_id!r}")
        ids = {
            e["user"]["sourcedId"]
            for e in self.state.listing("enrollments")
            if e["class"]["sourcedId"] == class_id and e.get("role") == role and e.get("status") == "active"
        }
        users = [u for u in self.state.listing("users") if u["sourcedId"] in ids]
        return self.listing("users", users, "users")

    # --- gradebook --------------------------------------------------------------------------

    def gradebook_collection(self, collection: str) -> Response:
        self.guard(collection, self.read_gradebook)
        return self.listing(collection, self.state.listing(collection), collection)

    def gradebook_single(self, collection: str, sourced_id: str) -> Response:
        if request.method == "PUT":
            return self.put(collection, sourced_id)
        if request.method == "DELETE":
            self.guard(collection, self.delete_gradebook)
            with self.state.lock:
                if self.state.records[collection].pop(sourced_id, None) is None:
                    raise Refusal(404, "unknownobject", f"no {SINGULAR[collection]} {sourced_id!r}")
            return Response(status=204)
        self.guard(collection, self.read_gradebook)
        return self.single(collection, sourced_id, SINGULAR[collection])

    def class_gradebook(
        self, class_id: str, collection: str, line_item: str | None = None, student: str | None = None
    ) -> Response:
        self.guard(f"class {collection}", self.read_gradebook)
        if self.state.get("classes", class_id) is None:
            raise Refusal(404, "unknownobject", f"no class {class_id!r}")
        if collection == "lineItems":
            records = [r for r in self.state.listing("lineItems") if r["class"]["sourcedId"] == class_id]
        else:
            items = {
                r["sourcedId"] for r in self.state.listing("lineItems") if r["class"]["sourcedId"] == class_id
            }
            records = [
                r
                for r in self.state.listing("results")
                if r["lineItem"]["sourcedId"] in items
                and (line_item is None or r["lineItem"]["sourcedId"] == line_item)
                and (student is None or r["student"]["sourcedId"] == student)
            ]
        return self.listing(collection, records, collection)

    def put(self, collection: str, sourced_id: str) -> Response:
        self.guard(collection, self.write_gradebook)
        kind = SINGULAR[collection]
        body = request.get_json(silent=True)
        try:
            record = validate_single(self.state.version, kind, body, sourced_id=sourced_id)
        except PayloadInvalid as error:
            raise Refusal(400, "invaliddata", str(error)) from None
        self._check_references(kind, record)
        stored = {
            k: (
                {"sourcedId": v["sourcedId"], "type": v["type"]} if isinstance(v, dict) and "href" in v else v
            )
            for k, v in record.items()
            if k != "dateLastModified"
        }
        self.state.put(collection, stored)
        return Response(status=201)

    def _check_references(self, kind: str, record: dict[str, Any]) -> None:
        wanted: list[tuple[str, str]] = []
        if kind == "lineItem":
            wanted += [
                ("class", "classes"),
                ("category", "categories"),
                ("gradingPeriod", "academicSessions"),
                ("academicSession", "academicSessions"),
                ("school", "orgs"),
            ]
        elif kind == "result":
            wanted += [("lineItem", "lineItems"), ("student", "users"), ("class", "classes")]
        for member, collection in wanted:
            if member in record and self.state.get(collection, record[member]["sourcedId"]) is None:
                raise Refusal(
                    422,
                    "unknownobject",
                    f"{kind}.{member}: no {REF_TYPES[collection]} with sourcedId "
                    f"{record[member]['sourcedId']!r}",
                )

    # --- OAuth 2 and the control panel ------------------------------------------------------

    def token(self) -> Response:
        self.state.faults.count("POST token")
        fault = self.state.faults.decide("POST", request.path)
        if fault.latency:
            time.sleep(fault.latency)
        if fault.status is not None:
            return _json_response({"error": "temporarily_unavailable"}, fault.status)
        if self.state.auth != "oauth2":
            return _json_response({"error": "unsupported_grant_type"}, 400)
        try:
            answer = self.state.authority.issue_token(
                authorization=request.headers.get("Authorization"),
                form=request.form.to_dict(),
            )
        except AuthRefused as refused:
            return _json_response(
                {"error": refused.error, "error_description": refused.description}, refused.status
            )
        return _json_response(answer, headers={"Cache-Control": "no-store"})

    def stats(self) -> Response:
        faults = self.state.faults
        return _json_response(
            {
                "requests": dict(faults.counts),
                "injected": {str(k): v for k, v in faults.injected.items()},
                "tokens_issued": self.state.authority.tokens_issued,
                "records": {name: len(table) for name, table in self.state.records.items()},
            }
        )

    def control_faults(self) -> Response:
        if request.method == "DELETE":
            self.state.faults.clear()
            self.state.faults.reset_counts()
            return Response(status=204)
        rules = request.get_json(silent=True)
        if not isinstance(rules, list):
            return _json_response(status_info("send a JSON array of fault rules", "invaliddata"), 400)
        try:
            self.state.faults.set([FaultRule.from_json(r) for r in rules])
        except (TypeError, ValueError) as error:
            return _json_response(status_info(str(error), "invaliddata"), 400)
        return Response(status=204)


def _set_key(endpoint: str) -> str:
    return {
        "schools": "orgs",
        "terms": "academicSessions",
        "gradingPeriods": "academicSessions",
        "students": "users",
        "teachers": "users",
    }.get(endpoint, endpoint)


def _single_key(collection: str) -> str:
    return {
        "orgs": "org",
        "academicSessions": "academicSession",
        "courses": "course",
        "classes": "class",
        "users": "user",
        "enrollments": "enrollment",
        "demographics": "demographics",
    }[collection]


def create_app(state: OneRosterState) -> Flask:
    """The sandbox SIS as a WSGI app (`httpx.WSGITransport(app=...)` or a served port)."""
    app = Flask("sandbox.oneroster")
    app.extensions["oneroster.state"] = state
    api = OneRosterApi(state)
    app.extensions["oneroster.api"] = api

    @app.errorhandler(Refusal)
    def _refused(refusal: Refusal) -> Response:
        return _json_response(
            status_info(refusal.description, refusal.minor), refusal.status, refusal.headers
        )

    @app.errorhandler(404)
    def _not_found(_error: Exception) -> Response:
        return _json_response(status_info(f"no such endpoint {request.path}", "unknownobject"), 404)

    @app.errorhandler(405)
    def _not_allowed(_error: Exception) -> Response:
        return _json_response(status_info(f"{request.method} is not allowed here", "invaliddata"), 405)

    app.add_url_rule(TOKEN_PATH, "token", api.token, methods=["POST"])
    app.add_url_rule("/_sandbox/stats", "stats", api.stats)
    app.add_url_rule("/_sandbox/faults", "faults", api.control_faults, methods=["PUT", "DELETE"])

    rp, gp = api.rostering_prefix, api.gradebook_prefix
    app.add_url_rule(
        f"{rp}/classes/<class_id>/students",
        "class_students",
        lambda class_id: api.class_members(class_id, "student"),
    )
    app.add_url_rule(
        f"{rp}/classes/<class_id>/teachers",
        "class_teachers",
        lambda class_id: api.class_members(class_id, "teacher"),
    )
    for collection in GRADEBOOK_COLLECTIONS:
        app.add_url_rule(
            f"{gp}/{collection}",
            f"gb_{collection}",
            lambda collection=collection: api.gradebook_collection(collection),
        )
        app.add_url_rule(
            f"{gp}/{collection}/<sourced_id>",
            f"gb_{collection}_single",
            lambda sourced_id, collection=collection: api.gradebook_single(collection, sourced_id),
            methods=["GET", "PUT", "DELETE"],
        )
    app.add_url_rule(
        f"{gp}/classes/<class_id>/lineItems",
        "class_line_items",
        lambda class_id: api.class_gradebook(class_id, "lineItems"),
    )
    app.add_url_rule(
        f"{gp}/classes/<class_id>/results",
        "class_results",
        lambda class_id: api.class_gradebook(class_id, "results"),
    )
    app.add_url_rule(
        f"{gp}/classes/<class_id>/lineItems/<line_item>/results",
        "line_item_results",
        lambda class_id, line_item: api.class_gradebook(class_id, "results", line_item=line_item),
    )
    app.add_url_rule(
        f"{gp}/classes/<class_id>/students/<student>/results",
        "student_results",
        lambda class_id, student: api.class_gradebook(class_id, "results", student=student),
    )
    app.add_url_rule(f"{rp}/<endpoint>", "roster_collection", api.roster_collection)
    app.add_url_rule(f"{rp}/<endpoint>/<sourced_id>", "roster_single", api.roster_single)
    return app


def seed_gradebook_category(
    state: OneRosterState, sourced_id: str = "cat-1", title: str = "Assignments"
) -> None:
    """A category a test's line items can point at."""
    state.put("categories", {"sourcedId": sourced_id, "title": title})


__all__ = ["create_app", "ref", "seed_gradebook_category", "status_info"]
