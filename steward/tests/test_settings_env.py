"""Typed settings helpers fail fast with the variable's name; production refuses a missing key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from steward.core.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str


def test_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1, minimum=1, maximum=100) == 42
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    assert env_str("X_MISSING", "dflt") == "dflt"


@pytest.mark.parametrize(
    ("name", "value", "call"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL", False)),
        ("X_INT", "ten", lambda: env_int("X_INT", 1)),
        ("X_INT", "0", lambda: env_int("X_INT", 1, minimum=1)),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, call):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfiguredEnv, match=name):
        call()


def _steward(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DATABASE_URL", "PYTEST"))}
    return subprocess.run(
        [sys.executable, "-m", "steward.manage", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_requires_secret_key():
    result = _steward({}, "check")
    assert result.returncode == 2
    assert "STEWARD_SECRET_KEY" in result.stderr


def test_malformed_setting_stops_startup_with_its_name():
    result = _steward({"STEWARD_DEBUG": "1", "STEWARD_PAGE_SIZE": "lots"}, "check")
    assert result.returncode == 2 and "STEWARD_PAGE_SIZE" in result.stderr


def test_production_settings_are_secure():
    result = _steward(
        {"STEWARD_SECRET_KEY": "x" * 60 + "unique-secret", "STEWARD_ALLOWED_HOSTS": "steward.example"},
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "True", "True", "True", "True"]


def test_every_setting_is_documented():
    """Every variable read through the env helpers appears in README.md and .env.example."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names = set()
    for path in (root / "steward").rglob("*.py"):
        if "tests" in path.parts:
            continue
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', path.read_text()))
    assert "STEWARD_SECRET_KEY" in names and "DATABASE_URL" in names
    readme = (root / "README.md").read_text()
    example = (root / ".env.example").read_text()
    # the SMTP group is documented on one row: STEWARD_EMAIL_HOST / _PORT / _USER / ...
    undocumented = sorted(n for n in names if n not in readme and f"_{n.rsplit('_', 1)[-1]}`" not in readme)
    assert not undocumented, f"settings missing from README.md: {undocumented}"
    missing_example = sorted(n for n in names if f"{n}=" not in example)
    assert not missing_example, f"settings missing from .env.example: {missing_example}"
