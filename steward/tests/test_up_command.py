"""`steward up` (behind `make run`) for real: migrates a fresh SQLite file, serves pages, runs a
worker that reports healthy, and one SIGINT stops both processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback only)
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
def test_up_serves_and_one_interrupt_stops_everything(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "DATABASE_URL", "PYTEST"))}
    env.update(
        STEWARD_DEBUG="1",
        STEWARD_DATA_DIR=str(tmp_path),
        STEWARD_PORT=str(port),
        STEWARD_WORKER_HEARTBEAT_SECONDS="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "steward.manage", "up", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                health = json.loads(body)
                if status == 200:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        assert health is not None and health["status"] == "ok", health
        status, body = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and b"Sign in" in body
        assert (tmp_path / "db.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # nobody is left in the process group
        os.killpg(proc.pid, 0)
