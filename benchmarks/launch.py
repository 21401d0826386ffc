"""Full LTI launches per second: Proficiency Bridge under gunicorn vs a bare pylti1p3next tool.

    python -m benchmarks.launch [--launches 600] [--clients 8] [--workers 2] [--threads 4]

Each launch is what a browser does: the sandbox's launch start, the tool's login initiation,
the platform's auth endpoint, the form_post of the id_token to the tool, and the landing
page. The sandbox runs in its own process; each tool runs under gunicorn with the same
worker settings. Printed per tool: launches/s end to end, and p50/p99 of the tool's own
handling time (login + launch + landing, measured at the client on loopback). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox import SandboxState
from sandbox.process import serve_process

ROOT = Path(__file__).resolve().parents[1]
USERS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _platform(sandbox_port: int, tools: dict[str, dict]) -> tuple[SandboxState, dict]:
    """The sandbox (generic flavour: no Platform Storage detour) with both tools registered."""
    state = SandboxState.for_flavour("generic", base_url=f"http://127.0.0.1:{sandbox_port}")
    course = state.add_course(title="Benchmark course", label="BENCH")
    users = []
    for number in range(USERS):
        user = state.add_user(given_name=f"Student{number}", family_name="Bench")
        state.enroll(course.id, user.id, ("Learner",))
        users.append(user.id)
    for client_id, tool in tools.items():
        state.register_tool(client_id=client_id, deployment_ids=["1"], **tool)
    return state, {"course": course.id, "users": users, "issuer": state.issuer}


def _gunicorn(
    app: str, port: int, env: dict[str, str], workers: int, threads: int
) -> subprocess.Popen[bytes]:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return subprocess.Popen(
        [
            gunicorn,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _one_launch(client: httpx.Client, sandbox: str, client_id: str, course: str, user: str) -> float:
    """One browser-like launch; returns the seconds the tool spent answering."""
    start = client.get(
        f"{sandbox}/sandbox/launch",
        params={"user": user, "course": course, "client_id": client_id},
        headers={"Accept": "application/json"},
    ).json()
    tool_time = 0.0
    began = time.perf_counter()
    if start["method"].upper() == "POST":
        login = client.post(start["action"], data=start["params"])
    else:
        login = client.get(start["action"], params=start["params"])
    tool_time += time.perf_counter() - began
    if login.status_code != 302:
        raise RuntimeError(f"login answered {login.status_code}: {login.text[:200]}")
    auth = client.get(login.headers["Location"], headers={"Accept": "application/json"}).json()
    began = time.perf_counter()
    landed = client.post(auth["action"], data=auth["params"])
    if landed.status_code in (302, 303):
        landed = client.get(landed.url.join(landed.headers["Location"]))
    tool_time += time.perf_counter() - began
    if landed.status_code != 200:
        raise RuntimeError(f"launch answered {landed.status_code}: {landed.text[:300]}")
    return tool_time


def _drive(
    sandbox: str, client_id: str, info: dict, launches: int, clients: int
) -> tuple[float, list[float]]:
    times: list[float] = []
    lock = threading.Lock()
    counter = iter(range(launches))
    errors: list[str] = []

    def worker() -> None:
        with httpx.Client(timeout=30) as client:
            for number in counter:
                try:
                    spent = _one_launch(
                        client, sandbox, client_id, info["course"], info["users"][number % USERS]
                    )
                except RuntimeError as error:
                    errors.append(str(error))
                    continue
                with lock:
                    times.append(spent)
                client.cookies.clear()

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if errors:
        print(f"  {len(errors)} launches failed; first: {errors[0]}")
    return wall, times


def _report(name: str, wall: float, times: list[float]) -> float:
    ordered = sorted(times)
    rate = len(times) / wall if wall else 0.0
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")
    print(
        f"{name:28} {len(times):5d} launches  {rate:7.1f} launches/s  "
        f"tool p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp folder")
    args = parser.parse_args()

    sandbox_port, tool_port, base_port = _free_port(), _free_port(), _free_port()
    tool_url, base_url = f"http://127.0.0.1:{tool_port}", f"http://127.0.0.1:{base_port}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from jwt.algorithms import RSAAlgorithm

    public_jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {
        "kid": "baseline",
        "alg": "RS256",
        "use": "sig",
    }
    tools = {
        "pbridge": {
            "login_url": f"{tool_url}/lti/login",
            "redirect_uris": [f"{tool_url}/lti/launch"],
            "jwks_url": f"{tool_url}/.well-known/jwks.json",
        },
        "baseline": {
            "login_url": f"{base_url}/login",
            "redirect_uris": [f"{base_url}/launch"],
            "public_jwks": {"keys": [public_jwk]},
        },
    }
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_process(partial(_platform, sandbox_port, tools), port=sandbox_port) as sandbox,
    ):
        info = sandbox.info
        database_url = args.database_url or f"sqlite:///{folder}/bench.db"
        secret = secrets.token_urlsafe(32)
        _prepare_tool(database_url, secret, tool_url, sandbox.url, info["issuer"])
        ours = _gunicorn(
            "lti:create_app()",
            tool_port,
            {
                "DATABASE_URL": database_url,
                "PBRIDGE_SECRET_KEY": secret,
                "PBRIDGE_BASE_URL": tool_url,
                "PBRIDGE_LOG_LEVEL": "WARNING",
            },
            args.workers,
            args.threads,
        )
        baseline_config = {
            "secret": secret,
            "private_key": key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            "registrations": {
                info["issuer"]: [
                    {
                        "default": True,
                        "client_id": "baseline",
                        "auth_login_url": f"{sandbox.url}/auth",
                        "auth_token_url": f"{sandbox.url}/token",
                        "key_set_url": f"{sandbox.url}/.well-known/jwks.json",
                        "deployment_ids": ["1"],
                    }
                ]
            },
        }
        base = _gunicorn(
            "benchmarks.baseline_tool:create_app()",
            base_port,
            {"BASELINE_TOOL_CONFIG": json.dumps(baseline_config)},
            args.workers,
            args.threads,
        )
        try:
            _wait(f"{tool_url}/healthz")
            _wait(f"{base_url}/login")
            print(
                f"{args.launches} launches each, {args.clients} concurrent clients, gunicorn "
                f"{args.workers} workers x {args.threads} threads, sandbox in its own process, "
                f"{'SQLite' if database_url.startswith('sqlite') else 'PostgreSQL'}"
            )
            _drive(sandbox.url, "pbridge", info, 40, 4)  # warm up both (JWKS caches, imports)
            _drive(sandbox.url, "baseline", info, 40, 4)
            rate_base = _report(
                "baseline (pylti1p3next)", *_drive(sandbox.url, "baseline", info, args.launches, args.clients)
            )
            rate_ours = _report(
                "Proficiency Bridge", *_drive(sandbox.url, "pbridge", info, args.launches, args.clients)
            )
            print(f"ratio: Proficiency Bridge / baseline = {rate_ours / rate_base:.2f}" if rate_base else "")
        finally:
            for process in (ours, base):
                process.terminate()
                process.wait(timeout=10)


def _prepare_tool(database_url: str, secret: str, tool_url: str, sandbox_url: str, issuer: str) -> None:
    from pbridge.settings import Settings
    from store.database import Database
    from store.migrate import upgrade
    from store.registrations import PlatformDetails, add_platform
    from store.secret_box import SecretBox
    from store.tool_keys import ensure_current_key

    settings = Settings(database_url=database_url, secret_key=secret, base_url=tool_url)
    upgrade(settings.database_url)
    database = Database(settings.database_url)
    with database.begin() as session:
        ensure_current_key(session, SecretBox.from_settings(None, secret))
        add_platform(
            session,
            PlatformDetails(
                name="Sandbox",
                issuer=issuer,
                client_id="pbridge",
                auth_login_url=f"{sandbox_url}/auth",
                auth_token_url=f"{sandbox_url}/token",
                key_set_url=f"{sandbox_url}/.well-known/jwks.json",
            ),
            deployment_ids=["1"],
        )
    database.dispose()


if __name__ == "__main__":
    main()
