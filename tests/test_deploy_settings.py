"""The settings as production sets them, checked in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "e3f1c9a7-production-like-secret-4b8d2f6a0c5e7b9d1f3a5c7e9b2d4f6a",
    "ALLOWED_HOSTS": "portal.example.org",
    "SITE_URL": "https://portal.example.org",
    "DATABASE_URL": "postgres://portal:secret@db.example.org:5432/portal",
    "REDIS_URL": "redis://cache.example.org:6379/0",
    "CELERY_BROKER_URL": "redis://cache.example.org:6379/1",
    "EMAIL_HOST": "smtp.example.org",
    "BEHIND_PROXY": "true",
}


def _manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k not in {"HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env, "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_reports_nothing_with_production_variables(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, var_dir=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    env = {**PRODUCTION}
    del env["SECRET_KEY"]
    result = _manage("check", env=env, var_dir=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_debug_value_that_is_not_yes_or_no(tmp_path):
    result = _manage("check", env={**PRODUCTION, "DEBUG": "maybe"}, var_dir=tmp_path)
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a yes/no value" in result.stderr


def test_the_embedded_default_needs_no_configuration(tmp_path):
    result = _manage("check", env={"DEBUG": "true"}, var_dir=tmp_path)
    assert result.returncode == 0, result.stderr


def test_it_refuses_to_start_without_a_site_url_when_debug_is_off(tmp_path):
    env = {**PRODUCTION}
    del env["SITE_URL"]
    result = _manage("check", env=env, var_dir=tmp_path)
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def _settings_of(env: dict[str, str], tmp_path: Path, *names: str) -> dict[str, object]:
    import json

    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    run = _manage("shell", "-c", code, env=env, var_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_uploads_can_live_in_an_s3_compatible_store(tmp_path):
    env = {
        **PRODUCTION,
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": "ppie-uploads",
        "S3_ENDPOINT_URL": "https://objects.example.org",
        "S3_REGION": "eu-west-2",
        "S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "S3_SECRET_ACCESS_KEY": "secret-example",
    }
    storages = _settings_of(env, tmp_path, "STORAGES")["STORAGES"]
    default = storages["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "ppie-uploads"
    assert default["OPTIONS"]["endpoint_url"] == "https://objects.example.org"
    assert default["OPTIONS"]["default_acl"] == "private"
    assert default["OPTIONS"]["file_overwrite"] is False
    missing = _manage("check", env={**PRODUCTION, "MEDIA_STORAGE": "s3"}, var_dir=tmp_path)
    assert missing.returncode != 0
    assert "MEDIA_STORAGE=s3 needs S3_BUCKET" in missing.stderr


def test_email_can_go_through_a_providers_api(tmp_path):
    env = {
        **PRODUCTION,
        "EMAIL_PROVIDER": "postmark",
        "ANYMAIL": '{"POSTMARK_SERVER_TOKEN": "token-example"}',
    }
    got = _settings_of(env, tmp_path, "EMAIL_BACKEND", "ANYMAIL")
    assert got["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert got["ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "token-example"}
    for bad in ({"EMAIL_PROVIDER": "../evil"}, {"EMAIL_PROVIDER": "postmark", "ANYMAIL": "[1]"}):
        run = _manage("check", env={**PRODUCTION, **bad}, var_dir=tmp_path)
        assert run.returncode != 0
        assert "EMAIL_PROVIDER" in run.stderr or "ANYMAIL" in run.stderr


def test_replies_by_email_need_a_domain_and_a_webhook_password(tmp_path):
    env = {
        **PRODUCTION,
        "REPLY_DOMAIN": "Reply.Example.org",
        "INBOUND_PROVIDER": "mailgun",
        "ANYMAIL": '{"WEBHOOK_SECRET": "anymail:secret", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}',
    }
    names = (
        "REPLY_DOMAIN",
        "REPLY_MAX_AGE_DAYS",
        "INBOUND_PROVIDER",
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
    )
    got = _settings_of(env, tmp_path, *names)
    assert got == {
        "REPLY_DOMAIN": "reply.example.org",
        "REPLY_MAX_AGE_DAYS": 90,
        "INBOUND_PROVIDER": "mailgun",
        # A reply of REPLY_MAX_MB (10) posted whole by the provider is read.
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 11 * 1024 * 1024,
    }
    for bad, says in (
        ({"ANYMAIL": "{}"}, "WEBHOOK_SECRET"),
        ({"REPLY_DOMAIN": ""}, "INBOUND_PROVIDER needs REPLY_DOMAIN"),
        ({"REPLY_DOMAIN": "not a domain@"}, "REPLY_DOMAIN must be a domain name"),
        ({"INBOUND_PROVIDER": "../evil"}, "INBOUND_PROVIDER"),
        ({"INBOUND_PROVIDER": "mailgn"}, "INBOUND_PROVIDER must name a provider"),
    ):
        run = _manage("check", env={**env, **bad}, var_dir=tmp_path)
        assert run.returncode != 0
        assert says in run.stderr
