"""`steward up` (what `make run` calls): migrate, load the demo when the database is empty, then
run the web server and one task worker together until Ctrl-C, which stops both."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from steward.core.env import env_int, env_str


class Command(BaseCommand):
    help = "Migrate, load the demo organisation if the database is empty, start web server + worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=env_str("STEWARD_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=env_int("STEWARD_PORT", 8000, minimum=1, maximum=65535)
        )
        parser.add_argument("--seed", type=int, default=env_int("STEWARD_DEMO_SEED", 42))
        parser.add_argument("--no-demo", action="store_true", help="do not load the demo organisation")

    def handle(self, *args, host: str, port: int, seed: int, no_demo: bool, **options):
        from steward.customers.models import CustomerAccount
        from steward.demo.models import DemoLoad

        self.stdout.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and not CustomerAccount.objects.exists():
            self.stdout.write(f"Empty database: loading the demo organisation (seed {seed})…")
            # In a child process: the load's peak memory (hundreds of MB for six months of desk
            # history) is returned to the system when it ends, not kept by this long-lived parent.
            loaded = subprocess.run(
                [sys.executable, "-m", "steward.manage", "demo", "--seed", str(seed)], check=False
            )
            if loaded.returncode != 0:
                self.stderr.write("Loading the demo organisation failed; see the messages above.")
                sys.exit(loaded.returncode)
        if _port_in_use(host, port):
            self.stderr.write(f"Port {port} on {host} is already in use; set STEWARD_PORT to another port.")
            sys.exit(1)

        steward = [sys.executable, "-m", "steward.manage"]
        web = subprocess.Popen([*steward, "runserver", f"{host}:{port}", "--noreload"])
        worker = subprocess.Popen([*steward, "worker"])
        children = [web, worker]

        def stop(signum=None, frame=None):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        def interrupt(signum, frame):
            raise KeyboardInterrupt

        # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored.
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, interrupt)
        try:
            if _wait_for_port(host, port, web):
                self._banner(host, port, DemoLoad.objects.first())
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            failed = [c for c in children if c.returncode not in (None, 0)]
            if failed:
                self.stderr.write("A process stopped unexpectedly; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping web server and worker…")
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _banner(self, host: str, port: int, demo) -> None:
        lines = ["", f"Steward is running at http://{host}:{port}", ""]
        if demo is not None:
            lines.append(f"Demo logins (seed {demo.seed}):")
            width = max(len(x["email"]) for x in demo.logins)
            for login in demo.logins:
                lines.append(f"  {login['role']:<16} {login['email']:<{width}}  {login['password']}")
            lines.append("")
        lines.append("Health: /healthz   API docs: /api/v1/docs   Press Ctrl-C to stop.")
        self.stdout.write("\n".join(lines) + "\n")


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) == 0


def _wait_for_port(host: str, port: int, process: subprocess.Popen, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _port_in_use(host, port):
            return True
        time.sleep(0.2)
    return False
