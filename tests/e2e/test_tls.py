"""TLS without a proxy: `rag serve --ssl-certfile/--ssl-keyfile` (uvicorn's own) with a self-signed certificate made
in the test; a client that trusts it gets answers over HTTPS, plain HTTP gets nothing, and a half-given pair is
refused at start."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.local_server import free_port

RAG = [sys.executable, "-m", "rag_service.cli"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_with_a_self_signed_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "var"), "RAG_EMBEDDER": "none", "RAG_PORT": str(port),
           "HF_HUB_OFFLINE": "1"}  # fmt: skip
    half = subprocess.run([*RAG, "serve", "--ssl-certfile", str(cert)], env=env, capture_output=True, text=True)
    assert half.returncode == 1 and "both --ssl-certfile and --ssl-keyfile" in half.stderr
    proc = subprocess.Popen([*RAG, "serve", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=str(cert), timeout=2)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"rag serve over TLS did not start: {proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.3)
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"https://127.0.0.1:{port}/healthz", timeout=5)  # not trusted without the certificate
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)  # no plain HTTP on the TLS port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
