"""The floor every linter stands on: read each file and `ast.parse` it, in one process.

    python benchmarks/floor.py FILE_LIST

FILE_LIST holds one path a line. Files that do not parse are counted, not fatal.
"""

from __future__ import annotations

import ast
import sys
import warnings


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")  # invalid escape sequences and the like
    with open(argv[0], encoding="utf-8") as listing:
        paths = listing.read().splitlines()
    failed = 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                ast.parse(handle.read(), filename=path)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            failed += 1
    sys.stdout.write(f"{len(paths)} files, {failed} not parsed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
