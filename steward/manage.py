"""The `steward` console script: Django's management commands plus our own."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    from django.core.management import execute_from_command_line

    from steward.core.env import ImproperlyConfiguredEnv

    try:
        execute_from_command_line(argv if argv is not None else ["steward", *sys.argv[1:]])
    except ImproperlyConfiguredEnv as exc:
        sys.stderr.write(f"steward: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
