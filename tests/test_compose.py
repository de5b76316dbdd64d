"""docker-compose.yml and Dockerfile: one app definition, real commands, no secrets.

Docker has no engine on these machines, so `docker compose up` cannot run here:
the file is checked as data (the YAML loaded, merge keys resolved), every
`grants` command in it is resolved against the real click group, and what the
services run is run for real: the desk and its health check, the scheduler
and its health check. Where the `docker-compose` (v1) tool is installed, it
validates the file too; it needs no engine for that.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tests.scheduling import GRANTS, Process, environment, wait_until
from tracker.cli import cli
from tracker.db import make_engine, upgrade
from tracker.demo.outbox import free_port

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_TEXT = COMPOSE_FILE.read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
APP_SERVICES = {n: s for n, s in COMPOSE["services"].items() if "build" in s}
JOBS = ("crawl", "digest", "members")
# What may differ between app services; everything else comes from `x-app`.
# The long-running services also restart, have a health check, and the desk
# publishes a port, the scheduler has time to finish a job when stopped.
LONG_RUNNING = ("web", "scheduler")
PER_SERVICE_KEYS = {
    "command",
    "profiles",
    "depends_on",
    "ports",
    "restart",
    "healthcheck",
    "stop_grace_period",
}

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY")
# ${VAR}, ${VAR:?msg}, ${VAR:-default}...; `$${VAR}` is an escape for the container.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
REQUIRED_ONLY = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(?::?\?[^}]*)?\}$")
# scheme://user:password@ where user and password may be ${...} interpolations.
URL_PASSWORD = re.compile(
    r"^[a-z0-9+]+://(?:\$\{[^}]*\}|[^:@/$])+:((?:\$\{[^}]*\}|[^@$])+)@"
)


def _resolve(argv: list[str]) -> tuple[click.Command, list[str], click.Context]:
    """Walk the click groups as the shell would: (command reached, args left, ctx)."""
    ctx = click.Context(cli, info_name="grants")
    command: click.Command = cli
    args = list(argv)
    while args and isinstance(command, click.Group):
        sub = command.get_command(ctx, args[0])
        if sub is None:
            break
        ctx = click.Context(sub, info_name=args[0], parent=ctx)
        command, args = sub, args[1:]
    return command, args, ctx


def test_app_services_share_one_definition() -> None:
    assert set(APP_SERVICES) == {"migrate", *JOBS, *LONG_RUNNING}
    shared = [
        {k: v for k, v in service.items() if k not in PER_SERVICE_KEYS}
        for service in APP_SERVICES.values()
    ]
    assert all(s == shared[0] for s in shared)
    assert COMPOSE_TEXT.count("<<: *app") == len(APP_SERVICES)
    base = COMPOSE["x-app"]
    assert base["build"] == "."
    assert base["env_file"] == ".env"
    assert base["restart"] == "no"  # quoted in YAML, else it would load as False
    env = base["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("mailpit", "1025")


def test_every_app_service_waits_for_a_healthy_database() -> None:
    for name, service in APP_SERVICES.items():
        assert service["depends_on"]["db"] == {"condition": "service_healthy"}, name


def test_jobs_are_one_shot_and_off_by_default() -> None:
    for name in JOBS:
        service = COMPOSE["services"][name]
        assert service["profiles"], name
        assert service["restart"] == "no", name
        migrate = service["depends_on"]["migrate"]
        assert migrate == {"condition": "service_completed_successfully"}, name


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_command_is_an_existing_grants_subcommand(service: str) -> None:
    argv = APP_SERVICES[service]["command"]
    assert isinstance(argv, list), "exec form: the image's entry point is `grants`"
    assert all(isinstance(a, str) for a in argv)
    assert cli.get_command(click.Context(cli), argv[0]) is not None, argv[0]
    command, rest, ctx = _resolve(argv)
    if isinstance(command, click.Group):
        pytest.fail(f"`grants {' '.join(argv)}`: {rest[:1]} is not a subcommand")
    # The arguments left over must parse, e.g. the spider slug of `grants crawl`.
    command.make_context(ctx.info_name, rest, parent=ctx.parent)


def test_db_keeps_its_data_in_a_named_volume_and_has_a_healthcheck() -> None:
    db = COMPOSE["services"]["db"]
    assert db["image"].startswith("postgres:16")
    volumes = [v.split(":")[0] for v in db["volumes"]]
    assert any(v in (COMPOSE.get("volumes") or {}) for v in volumes)
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for name in ("POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"):
        assert INTERPOLATION.search(db["environment"][name]), name


def _environments() -> list[tuple[str, str, str]]:
    return [
        (service, key, str(value))
        for service, spec in COMPOSE["services"].items()
        for key, value in (spec.get("environment") or {}).items()
    ]


def test_no_secret_is_written_into_the_file() -> None:
    for service, key, value in _environments():
        where = f"{service}.{key}"
        if SECRET_NAME.search(key):
            assert value == "" or REQUIRED_ONLY.match(value), where
        if password := URL_PASSWORD.match(value):
            assert REQUIRED_ONLY.match(password.group(1)), where
    # Nor as a default: ${POSTGRES_PASSWORD:-secret} would be a hard-coded secret.
    for match in INTERPOLATION.finditer(COMPOSE_TEXT):
        name, operator, _ = match.groups()
        if SECRET_NAME.search(name):
            assert operator in (None, "?", ":?"), match.group(0)


def test_interpolated_variables_are_documented_in_env_example() -> None:
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", env_example, re.M))
    used = {m.group(1) for m in INTERPOLATION.finditer(COMPOSE_TEXT)}
    assert used <= documented


def test_dockerfile_runs_the_grants_script() -> None:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    instructions = dict(
        line.split(" ", 1) for line in lines if line[:1].isupper() and " " in line
    )
    assert instructions["FROM"] == "python:3.11-slim"
    assert json.loads(instructions["ENTRYPOINT"]) == ["grants"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["grants"] == "tracker.cli:cli"


def test_the_desk_runs_on_and_listens_on_loopback_only() -> None:
    web = COMPOSE["services"]["web"]
    assert web["command"][:1] == ["web"]
    assert web["restart"] == "unless-stopped"
    assert web["ports"] == ["127.0.0.1:8000:8000"]
    assert web["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


# --- the scheduler and the health checks -------------------------------------


def _seconds(duration: str) -> int:
    """A compose duration such as "5m" or "1m30s" in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


def test_the_scheduler_runs_after_migrations_and_mail_and_stops_gently() -> None:
    scheduler = COMPOSE["services"]["scheduler"]
    assert scheduler["command"] == ["schedule"]
    assert scheduler["restart"] == "unless-stopped"
    assert scheduler["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
        "mailpit": {"condition": "service_healthy"},
    }
    assert "ports" not in scheduler  # nothing to reach from outside
    # Docker's default of 10 s would kill most digest runs mid-way.
    assert _seconds(scheduler["stop_grace_period"]) >= 60


def test_long_running_services_have_health_checks() -> None:
    for name in ("db", "mailpit", *LONG_RUNNING):
        check = COMPOSE["services"][name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert _seconds(check["interval"]) > 0 and check["retries"] >= 1, name
    assert COMPOSE["services"]["mailpit"]["healthcheck"]["test"] == [
        "CMD",
        "/mailpit",
        "readyz",
    ]


@pytest.mark.parametrize("service", ["scheduler"])
def test_grants_health_checks_are_existing_commands(service: str) -> None:
    argv = COMPOSE["services"][service]["healthcheck"]["test"]
    assert argv[:2] == ["CMD", "grants"]
    command, rest, ctx = _resolve(argv[2:])
    assert not isinstance(command, click.Group), argv
    command.make_context(ctx.info_name, rest, parent=ctx.parent)


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'grants.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


def _web_check(port: int) -> subprocess.CompletedProcess[str]:
    """The web service's health check, pointed at `port` instead of 8000."""
    argv = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert argv[:3] == ["CMD", "python", "-c"]
    assert "127.0.0.1:8000/login" in argv[3]
    code = argv[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    )


def test_the_web_health_check_passes_on_the_desk_and_fails_without_it(
    migrated: str,
) -> None:
    web = COMPOSE["services"]["web"]["command"]
    assert web[web.index("--port") + 1] == "8000"  # what the check calls
    port = free_port()
    env = environment(migrated, free_port())
    argv = [*web[: web.index("--host")], "--host", "127.0.0.1", "--port", str(port)]
    desk = Process(env, *GRANTS, *argv)
    try:
        wait_until(lambda: _web_check(port).returncode == 0, "the desk's /login")
    finally:
        desk.popen.terminate()
        desk.finish()
    down = _web_check(port)
    assert down.returncode != 0
    assert "Connection refused" in down.stderr


def test_the_scheduler_health_check_fails_until_the_scheduler_ran(
    migrated: str,
) -> None:
    env = environment(migrated, free_port())
    check = [
        sys.executable,
        *GRANTS,
        *COMPOSE["services"]["scheduler"]["healthcheck"]["test"][2:],
    ]

    def healthy() -> subprocess.CompletedProcess[str]:
        return subprocess.run(check, env=env, capture_output=True, text=True)

    before = healthy()
    assert before.returncode == 1
    assert "not in the job store" in before.stderr
    scheduler = Process(env, *GRANTS, *COMPOSE["services"]["scheduler"]["command"])
    try:
        scheduler.wait_for("scheduler started")
        assert healthy().returncode == 0
    finally:
        scheduler.popen.terminate()
        assert scheduler.finish() == 0, scheduler.output


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed"
)
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    """`docker-compose config` (v1) checks the file; it needs no engine."""
    env_file = (ROOT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(env_file + "\nPOSTGRES_PASSWORD=x\n")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_TEXT, encoding="utf-8")
    resolved = subprocess.run(
        ["docker-compose", "config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resolved.returncode == 0, resolved.stderr
    services = yaml.safe_load(resolved.stdout)["services"]
    assert set(services) == set(COMPOSE["services"])
