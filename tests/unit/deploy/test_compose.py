"""docker-compose.yml, as Docker Compose itself reads it with the example settings.

``docker compose config`` (or the stand-alone ``docker-compose``) validates the file and
prints it resolved: env files read in, anchors merged. The assertions run on that output;
the raw file and deploy/ are checked for secrets written into them. No engine is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.config import PROJECT_ROOT
from tests.services import unavailable

DEPLOY = PROJECT_ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "env.example"
COURT_ENV_EXAMPLE = DEPLOY / "court.env.example"
APP_SERVICES = {"migrate", "portal", "rtc", "worker", "beat"}
SERVICES = APP_SERVICES | {"postgres", "redis", "court-receiver", "nginx", "coturn"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSPHRASE|TOKEN|CLERKS")


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        return [standalone]
    reason = "neither `docker compose` nor `docker-compose` is installed"
    unavailable(reason)


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ODR_", "COURT_"))}
    env |= {"ODR_ENV_FILE": str(ENV_EXAMPLE), "COURT_ENV_FILE": str(COURT_ENV_EXAMPLE)}
    done = subprocess.run([*_compose_command(), "-f", "docker-compose.yml", "config"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = yaml.safe_load(done.stdout)
    return parsed


def _service(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = config["services"][name]
    return found


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """{target: source} of the named volumes, whatever syntax the Compose version prints."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        found[target] = source
    return found


def test_every_service_is_there(config: dict[str, Any]) -> None:
    assert set(config["services"]) == SERVICES


def test_every_service_has_a_health_check_except_the_migration_job(
        config: dict[str, Any]) -> None:
    for name in SERVICES - {"migrate"}:
        check = _service(config, name).get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name
    migrate = _service(config, "migrate")
    assert migrate["command"] == ["odr", "db", "upgrade"]
    assert migrate["restart"] == "no"
    # What uses the database starts only after the migrations succeeded.
    for name in APP_SERVICES - {"migrate"}:
        assert _service(config, name)["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}, name
    assert _service(config, "migrate")["depends_on"]["postgres"] == {
        "condition": "service_healthy"}


def test_the_portal_runs_several_workers_with_shared_metrics(config: dict[str, Any]) -> None:
    portal = _service(config, "portal")
    assert portal["command"][:2] == ["uvicorn", "portal.web.asgi:app"]
    assert int(_option(portal["command"], "--workers")) > 1
    metrics_dir = portal["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert metrics_dir in portal["tmpfs"] or metrics_dir in str(portal["tmpfs"])
    assert "/healthz" in " ".join(portal["healthcheck"]["test"])


def test_video_rooms_run_in_one_worker_and_relay_their_media(config: dict[str, Any]) -> None:
    rtc = _service(config, "rtc")
    assert rtc["command"][:2] == ["uvicorn", "portal.web.asgi:app"]
    assert _option(rtc["command"], "--workers") == "1"
    assert rtc["environment"]["ODR_RTC_RELAY_ONLY"] == "true"
    # aiortc cannot bind a port range: the media server publishes no port at all.
    assert not rtc.get("ports")
    assert _env_file(ENV_EXAMPLE)["ODR_RTC_TURN_URLS"].startswith("turn:")


def test_coturn_relays_on_a_fixed_udp_range_with_rest_credentials(
        config: dict[str, Any]) -> None:
    coturn = _service(config, "coturn")
    assert coturn["network_mode"] == "host"
    conf = (DEPLOY / "coturn" / "turnserver.conf").read_text()
    settings = dict(line.split("=", 1) for line in conf.splitlines()
                    if "=" in line and not line.startswith("#"))
    assert (int(settings["min-port"]), int(settings["max-port"])) == (49160, 49359)
    assert settings["listening-port"] == "3478"
    assert "use-auth-secret" in conf.splitlines()
    assert "static-auth-secret" not in settings
    # The shared secret is the portal's ODR_RTC_TURN_SECRET, added when coturn starts.
    start = (DEPLOY / "coturn" / "start.sh").read_text()
    assert "static-auth-secret=%s" in start and '"$ODR_RTC_TURN_SECRET"' in start
    assert coturn["environment"]["ODR_RTC_TURN_SECRET"] == _env_file(ENV_EXAMPLE)[
        "ODR_RTC_TURN_SECRET"]


def test_nginx_sends_the_room_routes_to_the_rtc_service(config: dict[str, Any]) -> None:
    from portal.config import get_settings
    from portal.web.routes import routes

    nginx = _service(config, "nginx")
    assert {p if isinstance(p, str) else f"{p['published']}:{p['target']}"
            for p in nginx["ports"]} >= {"80:80", "443:443"}
    conf = (DEPLOY / "nginx" / "odr.conf").read_text()
    to_rtc = [re.compile(m) for m in re.findall(
        r"location ~ (\S+) \{[^}]*proxy_pass http://rtc;", conf)]
    # The routes that reach the process's video rooms (portal.web.views.room_live).
    room_paths = [str(getattr(r, "path", "")) for r in routes(get_settings())
                  if str(getattr(r, "name", "")).startswith("session_room")]
    assert len(room_paths) >= 3
    for path in room_paths:
        concrete = path.replace("{session_id:id}", "12")
        assert any(p.match(concrete) for p in to_rtc), path
    for other in ("/sessions/12/join", "/sessions", "/cases/FQ-1/sessions", "/sessions/12/cancel"):
        assert not any(p.match(other) for p in to_rtc), other
    assert "Strict-Transport-Security" not in conf.replace("Strict-Transport-Security is NOT", "")


def test_data_lives_on_named_volumes(config: dict[str, Any]) -> None:
    assert {"pgdata", "redisdata", "odrdata", "courtdata", "platform-keys",
            "court-keys"} <= set(config["volumes"])
    assert _mounts(_service(config, "postgres"))["/var/lib/postgresql/data"] == "pgdata"
    assert _mounts(_service(config, "redis"))["/data"] == "redisdata"
    for name in APP_SERVICES:
        assert _mounts(_service(config, name))["/var/lib/odr"] == "odrdata", name
    court = _mounts(_service(config, "court-receiver"))
    assert court["/var/lib/court"] == "courtdata"
    assert "odrdata" not in court.values()  # the court sees the platform's keys, no files


def test_the_court_receiver_is_its_own_service(config: dict[str, Any]) -> None:
    court = _service(config, "court-receiver")
    assert court["command"][:2] == ["uvicorn", "court_export.receiver.asgi:app"]
    assert set(court["environment"]) == set(_env_file(COURT_ENV_EXAMPLE))
    assert all(name.startswith("COURT_") for name in court["environment"])
    courts = (DEPLOY / "courts.toml").read_text()
    assert "http://court-receiver:8100/api/v1/filings" in courts


def test_no_secret_is_written_into_the_compose_file_or_deploy_configs(
        config: dict[str, Any]) -> None:
    raw = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    for name, service in raw["services"].items():
        environment = service.get("environment", {})
        assert not [k for k in environment if SECRET_NAME.search(k)], name
    examples = _env_file(ENV_EXAMPLE) | _env_file(COURT_ENV_EXAMPLE)
    secrets = {k: v for k, v in examples.items() if SECRET_NAME.search(k) and len(v) > 2}
    assert {"ODR_SECRET_KEY", "ODR_PKI_PASSPHRASE", "ODR_RTC_TURN_SECRET", "POSTGRES_PASSWORD",
            "COURT_SECRET_KEY", "COURT_KEY_PASSPHRASE"} <= set(secrets)
    files = [PROJECT_ROOT / "docker-compose.yml", PROJECT_ROOT / "Dockerfile",
             DEPLOY / "nginx" / "odr.conf", DEPLOY / "coturn" / "turnserver.conf",
             DEPLOY / "coturn" / "start.sh", DEPLOY / "courts.toml"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        leaked = [k for k, v in secrets.items() if v in text]
        assert not leaked, f"{path.name} contains the value of {leaked}"
    # Every service gets its secrets from the env file: the resolved values are the example's.
    for name in APP_SERVICES:
        environment = _service(config, name)["environment"]
        for key in ("ODR_SECRET_KEY", "ODR_PKI_PASSPHRASE", "ODR_DATABASE_URL"):
            assert environment[key] == examples[key], (name, key)
    # The platform's secrets do not reach the court, nor the court's the platform.
    assert "ODR_SECRET_KEY" not in _service(config, "court-receiver")["environment"]
    assert "COURT_SECRET_KEY" not in _service(config, "portal")["environment"]


def test_the_example_settings_pass_the_production_checks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.config import Settings
    from portal.web.rooms import ice_settings

    for name, value in _env_file(ENV_EXAMPLE).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.production and not settings.eager and not settings.demo_data
    assert len(settings.resolved_secret_key()) >= 32
    assert settings.resolved_pki_passphrase()
    monkeypatch.setenv("ODR_RTC_RELAY_ONLY", "true")  # as the rtc service runs
    ice = ice_settings(Settings())
    assert ice.relay_only and ice.turn_secret


def test_the_example_court_settings_load() -> None:
    from court_export.receiver.config import ReceiverConfig

    court = ReceiverConfig.from_env(_env_file(COURT_ENV_EXAMPLE))
    assert court.court_id == "zhuji"
    assert court.resolved_key_dir == Path("/var/lib/court/keys")
    assert court.platforms["fengqiao-odr"].public_key_dir == Path(
        "/var/lib/odr/pki/court-export")


def test_the_image_embeds_the_cjk_font() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "fonts-wqy-zenhei" in dockerfile
    assert "USER odr" in dockerfile


def test_the_readme_deploying_section_matches_the_compose_file(config: dict[str, Any]) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    for name in [*config["services"], *config["volumes"]]:
        assert f"`{name}`" in section, name
    for text in ("deploy/env.example", "deploy/court.env.example", "deploy/certs/",
                 "ODR_RTC_RELAY_ONLY", "PROMETHEUS_MULTIPROC_DIR", "49160–49359",
                 "127.0.0.1:8100"):
        assert text in section, text
    portal, rtc = _service(config, "portal"), _service(config, "rtc")
    assert f"{_option(portal['command'], '--workers')} uvicorn workers" in section
    assert f"{_option(rtc['command'], '--workers')} uvicorn worker" in section


def test_nginx_accepts_its_configuration(tmp_path: Path) -> None:
    """``nginx -t`` on deploy/nginx/odr.conf, with local upstreams and a throw-away
    certificate (the compose names do not resolve here)."""
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if not nginx or not openssl:
        reason = "nginx or openssl is not installed"
        unavailable(reason)
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=test", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], capture_output=True, check=True)
    site = (DEPLOY / "nginx" / "odr.conf").read_text()
    site = (site.replace("server portal:8000", "server 127.0.0.1:18000")
            .replace("server rtc:8000", "server 127.0.0.1:18001")
            .replace("/etc/nginx/certs", str(tmp_path)))
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    if re.search(r"nginx/1\.(1\d|2[0-4])\.", version):  # `http2 on;` needs 1.25 (the image's)
        site = site.replace("    http2 on;", "")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    done = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
