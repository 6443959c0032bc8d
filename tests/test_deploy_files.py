"""The deployment files a reader follows: compose.yaml, the systemd units and the proxies'
configuration run the same commands with the same settings the portal documents."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def documented_variables() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"[A-Z][A-Z0-9_]*=", line)}


def test_compose_runs_every_part_on_the_documented_settings() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat", "proxy"}
    assert services["web"]["command"][:2] == ["gunicorn", "portal.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "portal", "beat"]
    assert services["migrate"]["command"][-2:] == ["migrate", "--no-input"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["BEHIND_PROXY"] == "true"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])
    # Every ${VARIABLE} it reads is one .env.example documents.
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (ROOT / "compose.yaml").read_text()))
    assert used <= documented_variables(), used - documented_variables()


def test_the_proxies_limit_uploads_and_pass_the_visitors_address() -> None:
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "max_size 21MB" in caddy
    assert "reverse_proxy web:8000" in caddy
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "client_max_body_size 21m;" in nginx
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "ssl_certificate " in nginx
    assert "proxy_set_header X-Request-ID $request_id;" in nginx


def test_the_systemd_units_start_the_web_the_workers_and_one_beat() -> None:
    starts = {}
    for name in ("ppie-web", "ppie-worker", "ppie-beat", "ppie-mail"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(ROOT / "deploy" / "systemd" / f"{name}.service")
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/ppie/portal.env"
        assert service["User"] == "ppie"
        assert service["Restart"] == "on-failure"
        assert unit["Install"]["WantedBy"] == "multi-user.target"
        starts[name] = service["ExecStart"]
    assert "gunicorn portal.wsgi" in starts["ppie-web"]
    assert "127.0.0.1:8000" in starts["ppie-web"]
    assert "celery -A portal worker" in starts["ppie-worker"]
    assert "celery -A portal beat" in starts["ppie-beat"]
    assert "manage.py receive_mail --lmtp" in starts["ppie-mail"]
