from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bridge.oneroster.connection_check import check_connection

ROSTER_ONLY = {"https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"}


def test_a_working_sis_passes_every_check(sis):
    report = check_connection(sis.client(), network=False)
    assert report.ok, report.checks
    assert [c.name for c in report.checks] == ["rostering", "gradebook read", "scope"]


def test_a_wrong_secret_is_a_401_from_the_token_endpoint(sis):
    report = check_connection(sis.client(client_secret="wrong"), network=False)
    assert not report.ok
    assert report.first_failure.detail.startswith("401:")
    assert "client id and secret" in report.first_failure.detail
    assert len(report.checks) == 1


def test_missing_gradebook_scopes_are_named(sis):
    sis.state.add_client("pb-client", "pb-secret", scopes=ROSTER_ONLY)
    report = check_connection(sis.client(), network=False)
    by_name = [(c.name, c.ok) for c in report.checks]
    assert by_name == [("rostering", True), ("scope", False), ("scope", False)]
    assert "gradebook.readonly" in report.checks[1].detail


def test_a_wrong_base_path_is_a_404_that_says_to_check_the_url(sis):
    report = check_connection(sis.client(rostering_url="https://sis.test/ims/oneroster/v1p1"), network=False)
    assert report.first_failure.detail.startswith("404:")
    assert "check the base URL and version" in report.first_failure.detail


def test_a_refused_oauth1_signature_shows_our_base_string(sis_factory):
    sis = sis_factory(version="1.1", auth="oauth1")
    report = check_connection(sis.client(client_secret="wrong"), network=False)
    detail = report.first_failure.detail
    assert (
        detail.startswith("401:")
        and "we sign: GET&https%3A%2F%2Fsis.test%2Fims%2Foneroster%2Fv1p1%2Forgs" in detail
    )


def test_dns_failure_is_named(sis):
    def resolve(host, port, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    report = check_connection(sis.client(), resolve=resolve)
    assert [c.name for c in report.checks] == ["dns"]
    assert report.first_failure.detail.startswith("DNS: the name sis.test does not resolve")


@pytest.fixture
def self_signed_server(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        try:
            conn, _ = listener.accept()
            with conn, context.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.close()
    thread.join(timeout=2)


def test_an_untrusted_certificate_is_a_tls_failure(sis, self_signed_server):
    base = f"https://localhost:{self_signed_server}"
    client = sis.client(
        rostering_url=f"{base}/ims/oneroster/rostering/v1p2",
        gradebook_url=f"{base}/ims/oneroster/gradebook/v1p2",
        token_url=f"{base}/oauth/token",
    )
    report = check_connection(client, timeout=2)
    assert [c.name for c in report.checks] == ["dns", "tls"]
    assert report.first_failure.detail.startswith("TLS: the certificate of localhost is not trusted")


def test_nothing_listening_is_a_connect_failure(sis):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    base = f"https://localhost:{port}"
    client = sis.client(rostering_url=base, gradebook_url=base, token_url=base)
    report = check_connection(client, timeout=1)
    assert report.first_failure.name == "connect"
    assert replace(report.first_failure, detail="").ok is False
