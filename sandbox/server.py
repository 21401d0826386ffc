"""The sandbox's Flask app and a threaded server to run it on loopback.

    state = SandboxState.for_flavour("moodle")
    server = serve(create_app(state))          # state.base_url is now server.url
    ...
    server.stop()

The server answers requests concurrently: a tool fetches the platform's JWKS while the
platform is still busy with the launch that sent it there, as Moodle does in real life.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from types import TracebackType

from flask import Blueprint, Flask, Response, g, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import (
    ags,
    canvas_api,
    canvas_oauth,
    canvas_outcomes,
    deep_linking,
    moodle_competencies,
    moodle_ws,
    nrps,
    oidc,
    schoology_api,
    tokens,
)
from sandbox.current import current_state
from sandbox.faults import CanvasThrottle, FaultRule
from sandbox.refusals import Refusal, install
from sandbox.state import SandboxState

#: endpoints Canvas's cost bucket applies to (its REST and LTI service APIs)
THROTTLED_AREAS = ("ags", "nrps", "canvas_api")
#: each flavour's own API, beside LTI (the only way to see a course's native assignments)
LMS_APIS = {"canvas": (canvas_api, canvas_oauth), "moodle": (moodle_ws,), "schoology": (schoology_api,)}
LMS_APIS["canvas"] += (canvas_outcomes,)  # outcomes, rubrics, outcome results (issue 8)
LMS_APIS["moodle"] += (moodle_competencies,)  # competency web services (issue 8)


def create_app(state: SandboxState) -> Flask:
    """The sandbox platform as a Flask app serving `state`."""
    app = Flask("sandbox")
    app.extensions["sandbox"] = state
    install(app)
    flavour = state.flavour
    for module in (oidc, tokens, ags, nrps, deep_linking, *LMS_APIS.get(flavour.name, ())):
        app.register_blueprint(module.blueprint(flavour))
    app.register_blueprint(_control_blueprint())
    app.before_request(_before)
    app.after_request(_after)
    return app


def _before() -> Response | None:
    if request.blueprint == "control":
        return None
    plan = current_state().faults
    plan.count_request(request.method, request.endpoint or "unknown")
    decision = plan.decide(request.method, request.path)
    if decision.delay_seconds:
        time.sleep(decision.delay_seconds)
    if decision.status is not None:
        return Response(
            decision.body, status=decision.status, headers=decision.headers, content_type="text/plain"
        )
    if request.blueprint in THROTTLED_AREAS:
        headers, refused = plan.charge()
        g.throttle_headers = headers
        if refused and plan.throttle is not None:
            return Response(
                "403 Forbidden (Rate Limit Exceeded)",
                status=plan.throttle.status,
                headers=headers,
                content_type="text/plain",
            )
    return None


def _after(response: Response) -> Response:
    response.headers.update(getattr(g, "throttle_headers", {}))
    return response


def _control_blueprint() -> Blueprint:
    bp = Blueprint("control", __name__)

    @bp.get("/sandbox/faults")
    def show_faults() -> Response:
        plan = current_state().faults
        return jsonify(
            rules=[dataclasses.asdict(rule) for rule in plan.rules],
            canvas_throttle=dataclasses.asdict(plan.throttle) if plan.throttle else None,
            counts=plan.counts(),
        )

    @bp.post("/sandbox/faults")
    def set_faults() -> Response:
        """`{"clear": true, "seed": 7, "rules": [{...}], "canvas_throttle": {...}}`."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Refusal(400, "send a JSON object: {clear?, seed?, rules?, canvas_throttle?}")
        plan = current_state().faults
        try:
            rules = [FaultRule.from_json(rule) for rule in data.get("rules", [])]
            throttle = data.get("canvas_throttle")
            throttle_value = CanvasThrottle(**throttle) if isinstance(throttle, dict) else None
        except (TypeError, ValueError) as error:
            raise Refusal(400, f"bad fault description: {error}") from None
        if data.get("clear") or "seed" in data:
            plan.clear(seed=data.get("seed"))
        for rule in rules:
            plan.add(rule)
        if "canvas_throttle" in data:
            plan.set_throttle(throttle_value)
        return show_faults()

    @bp.delete("/sandbox/faults")
    def clear_faults() -> Response:
        current_state().faults.clear()
        return show_faults()

    @bp.get("/sandbox/counters")
    def counters() -> Response:
        return jsonify(current_state().faults.counts())

    @bp.delete("/sandbox/counters")
    def reset_counters() -> Response:
        current_state().faults.reset_counts()
        return jsonify({})

    return bp


class QuietHandler(WSGIRequestHandler):
    """No access log lines: tests and benchmarks make thousands of requests."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class RunningServer:
    """A sandbox served on a background thread; `stop()` (or leaving a `with`) ends it."""

    def __init__(self, server: BaseWSGIServer, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url
        self.port = server.port

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A socket bound to a free port and listening, for `serve(..., sock=)`.

    An app whose settings name its own URL needs the port before it exists. Asking for a
    free port and binding it later races every other bind and outbound connection on the
    machine (a parallel test run lost that race); a socket held from the start cannot.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)
    return sock


def serve(
    app: Flask, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None
) -> RunningServer:
    """Serve `app` on a threaded werkzeug server (port 0: any free port; `sock`: that
    listening socket, see `listening_socket`) in the background.

    Any Flask app can be served this way (tests serve a stand-in tool's JWKS with it).
    When a sandbox app's state has no base URL yet, it becomes this server's URL, so issuer,
    endpoints and service URLs name the address the sandbox really answers on.
    """
    fd = None if sock is None else sock.fileno()
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler, fd=fd)
    if sock is not None:
        sock.close()  # the server works on its own duplicate of the socket
    url = f"http://{host}:{server.port}"
    state: SandboxState | None = app.extensions.get("sandbox")
    if state is not None and not state.has_base_url:
        state.bind_base_url(url)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},  # so stop() returns at once
        name=f"sandbox-{server.port}",
        daemon=True,
    )
    thread.start()
    return RunningServer(server, thread, url)
