"""The floor every linter stands on: read each file and `ast.parse` it, in one process.

    python benchmarks/floor.py FILE_LIST [--walk]

FILE_LIST holds one path a line. Files that do not parse are counted, not fatal.
`--walk` also visits every node of each tree once with `ast.walk`, doing nothing
else: the least a Python linter that looks at the whole tree spends beyond the parse.
"""

from __future__ import annotations

import ast
import sys
import warnings


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")  # invalid escape sequences and the like
    walk = "--walk" in argv
    listing_path = next(arg for arg in argv if arg != "--walk")
    with open(listing_path, encoding="utf-8") as listing:
        paths = listing.read().splitlines()
    failed = nodes = 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                tree = ast.parse(handle.read(), filename=path)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            failed += 1
            continue
        if walk:
            for _ in ast.walk(tree):
                nodes += 1
    walked = f", {nodes} nodes walked" if walk else ""
    sys.stdout.write(f"{len(paths)} files, {failed} not parsed{walked}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
