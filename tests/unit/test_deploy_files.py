"""The deployment files keep their promises: pinned images, health-gated start-up, loopback-only ports, a GPU for
vLLM, and no RAG_ variable in docker-compose.yml that the service would silently ignore."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from rag_service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


FLOATING_TAGS = {"latest", "main", "master", "nightly", "stable", "dev", "edge"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _defaults(value: Any) -> str:
    """The value compose gives with an empty environment: `${X:-d}` -> d, `${X}` -> '', `${X:?msg}` -> '<X>'."""

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            return f"<{name}>"
        return ""

    return _VAR.sub(sub, str(value))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict) and isinstance(doc.get("services"), dict)
    return doc


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def setting_env_names() -> set[str]:
    """Every environment variable Settings reads: RAG_<FIELD>, and RAG_<SECTION>__<FIELD> for nested sections."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.add(f"RAG_{name.upper()}")
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names |= {f"RAG_{name.upper()}__{sub.upper()}" for sub in ann.model_fields}
    return names


def test_services_present(services: dict[str, dict[str, Any]]) -> None:
    assert {"qdrant", "vllm", "api", "ingest"} <= set(services)


def test_every_image_is_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        image = svc.get("image")
        assert image, f"{name}: no image (a built service still names its image, so `run` never pulls a guess)"
        image = _defaults(image)
        repo, sep, tag = image.rpartition(":")
        assert sep and "/" not in tag and tag, f"{name}: image {image!r} has no tag"
        assert "@sha256:" in image or tag.lower() not in FLOATING_TAGS, f"{name}: floating tag {image!r}"
        assert re.search(r"\d", tag), f"{name}: tag {tag!r} of {repo} is not a release"


def test_third_party_images_are_the_expected_ones(services: dict[str, dict[str, Any]]) -> None:
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", services["qdrant"]["image"])
    assert re.fullmatch(r"vllm/vllm-openai:v\d+\.\d+\.\d+(-\w+)?", services["vllm"]["image"])


@pytest.mark.parametrize("name", ["qdrant", "vllm"])
def test_backends_have_healthchecks(services: dict[str, dict[str, Any]], name: str) -> None:
    hc = services[name].get("healthcheck")
    assert hc and not hc.get("disable"), f"{name} has no healthcheck"
    test = hc["test"]
    assert test and test != ["NONE"], f"{name}: empty healthcheck"
    text = " ".join(test) if isinstance(test, list) else test
    assert ("/readyz" if name == "qdrant" else "/health") in text
    assert "curl" not in text and "wget" not in text, f"{name}: its image has neither curl nor wget"


def test_api_waits_for_healthy_backends(services: dict[str, dict[str, Any]]) -> None:
    deps = services["api"]["depends_on"]
    assert isinstance(deps, dict), "use the long form of depends_on, with conditions"
    for backend in ("qdrant", "vllm"):
        assert deps[backend]["condition"] == "service_healthy"
    assert services["ingest"]["depends_on"]["qdrant"]["condition"] == "service_healthy"


def test_api_points_at_the_compose_backends(services: dict[str, dict[str, Any]]) -> None:
    env = _env(services["api"])
    assert env["RAG_QDRANT_URL"] == "http://qdrant:6333"
    assert env["RAG_LLM_BASE_URL"] == "http://vllm:8000/v1"
    assert "RAG_API_KEYS" in env, "the API listens on 0.0.0.0 in its container: it needs keys"
    # the model name the API sends is the one vLLM serves
    command = [_defaults(c) for c in services["vllm"]["command"]]
    served = command[command.index("--served-model-name") + 1]
    assert _defaults(env["RAG_LLM_MODEL"]) == served
    assert "--max-model-len" in command
    # ingestion and serving must agree on the store and the embedder, or the index is refused
    ingest_env = _env(services["ingest"])
    for key in ("RAG_QDRANT_URL", "RAG_COLLECTION", "RAG_EMBEDDER"):
        assert ingest_env[key] == env[key], key


def test_every_rag_variable_is_a_setting(services: dict[str, dict[str, Any]]) -> None:
    known = setting_env_names()
    used: set[str] = set()
    for svc in services.values():
        used |= {k for k in _env(svc) if k.startswith("RAG_")}
    # variables interpolated from .env with a RAG_ name must be settings too (compose-only knobs have other names)
    used |= {m.group(1) for m in _VAR.finditer(COMPOSE_FILE.read_text(encoding="utf-8"))}
    used = {u for u in used if u.startswith("RAG_")}
    assert "RAG_QDRANT_URL" in used
    unknown = sorted(u for u in used if u not in known)
    assert not unknown, f"RAG_ variables in docker-compose.yml that Settings does not read: {unknown}"


def _published_host_ips(port: Any) -> str:
    if isinstance(port, dict):
        return _defaults(port.get("host_ip", ""))
    parts = _defaults(port).split(":")
    return parts[0] if len(parts) == 3 else ""  # "host:container" or "container" binds every interface


def test_published_ports_are_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for port in svc.get("ports") or []:
            assert _published_host_ips(port) == "127.0.0.1", f"{name}: port {port!r} is not bound to 127.0.0.1"
    assert services["api"].get("ports"), "the API is published (on loopback)"
    assert not services["vllm"].get("ports"), "vLLM is only for the API: keep it on the compose network"


def test_vllm_reserves_an_nvidia_gpu(services: dict[str, dict[str, Any]]) -> None:
    devices = services["vllm"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    env = _env(services["vllm"])
    assert env.get("HF_HUB_OFFLINE") == "1"
    assert any(str(v).endswith(":/models:ro") for v in services["vllm"]["volumes"]), "models mounted read-only"


def test_ingest_runs_on_demand_with_read_only_corpora(services: dict[str, dict[str, Any]]) -> None:
    ingest = services["ingest"]
    assert ingest["profiles"] == ["tools"]
    assert ingest["command"] in (["ingest"], "ingest")
    assert ingest["image"] == services["api"]["image"]
    assert any(str(v).endswith(":/corpora:ro") for v in ingest["volumes"])
    assert _env(ingest)["RAG_MANIFEST"].startswith("/corpora/")


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for vol in svc.get("volumes") or []:
            source = _defaults(vol).split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source!r} is not declared at the top level"
    assert {"qdrant-storage", "rag-data"} <= declared


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r'^ENTRYPOINT \["rag"\]', text, re.M)
    assert re.search(r'^CMD \["serve", "--host", "0.0.0.0"\]', text, re.M)
    assert "RAG_API_KEYS" in text, "say why keys are needed when listening on 0.0.0.0"
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0"), "the service runs as a non-root user"
    assert re.search(r"^HEALTHCHECK .*/healthz", text, re.M | re.S)
    for var in ("HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1"):
        assert var in text
    # torch only with the extra, and never from the default index (which serves a multi-GB CUDA build)
    assert 'torch==${TORCH_VERSION}"' in text and "ARG TORCH_VERSION=2.13.0" in text
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in text


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    lines = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    assert {".env", ".venv", "var", "models", ".git"} <= lines


def _compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin) or `docker-compose` (v1); `config` needs no engine."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _run_config(cmd: list[str], env_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "COMPOSE_"))}
    return subprocess.run(
        [*cmd, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_docker_compose_config_validates(tmp_path: Path) -> None:
    cmd = _compose_command()
    if cmd is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env_file = tmp_path / "env"
    env_file.write_text("RAG_API_KEYS=test-key\n")
    done = _run_config(cmd, env_file)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert {"qdrant", "vllm", "api"} <= set(resolved["services"])
    assert resolved["services"]["api"]["environment"]["RAG_API_KEYS"] == "test-key"
    # without keys compose itself refuses, with a message that says what to set
    env_file.write_text("")
    done = _run_config(cmd, env_file)
    assert done.returncode != 0
    assert "RAG_API_KEYS" in done.stdout + done.stderr
