"""The `fastapi-lint` command (placeholder until the CLI lands)."""

import sys


def main(argv=None) -> int:
    sys.stderr.write("fastapi-lint: the command is not built yet; use flake8 --select FBP\n")
    return 2
