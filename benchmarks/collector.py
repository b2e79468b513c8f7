"""How Python's cycle collector fares when the plugin runs inside flake8.

    python benchmarks/collector.py APP_FOLDER [--codes FBP100,FBP101]

Parses every Python file under APP_FOLDER and runs the tree plugins as flake8 -j1 does,
in its order (fastapi-lint, then pyflakes), without flake8's line checks: once with
pyflakes alone, once with the plugin too. For each it prints the CPU time, the time
spent in the collections of each generation, how many there were, and how many objects
the oldest generation held when a full collection began (summed over them). The
plugin's own time is printed apart, so what it leaves to later collections shows.

flake8 with the plugin spends longer in its full collections than without, though the
plugin leaves almost nothing tracked behind (see the README's Performance section);
this reproduces that in a fraction of a flake8 run. The plugin caches what it learns
of the project under APP_FOLDER, as inside flake8: point it at a copy (the benchmark's
scratch folder, say) and run it twice to measure with the summaries cached.
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import subprocess
import sys
import time


def _files(folder: str) -> list[str]:
    found = []
    for parent, folders, names in os.walk(folder):
        folders.sort()
        found += [os.path.join(parent, name) for name in sorted(names)
                  if name.endswith(".py")]
    return found


def measure(folder: str, codes: str) -> str:
    """One process's figures (`codes` empty: pyflakes alone)."""
    from pyflakes.checker import Checker

    spent = [0.0, 0.0, 0.0]
    counts = [0, 0, 0]
    oldest = [0]
    began = [0.0]

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            if info["generation"] == 2:
                oldest[0] += len(gc.get_objects(2))
            began[0] = time.process_time()
        else:
            spent[info["generation"]] += time.process_time() - began[0]
            counts[info["generation"]] += 1

    plugin = None
    if codes:
        from fastapi_lint.plugin import Plugin

        plugin = Plugin
        plugin._codes = frozenset(codes.split(","))  # as `--select` would set them
    files = _files(folder)
    gc.callbacks.append(note)
    start, own = time.process_time(), 0.0
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines(True)
            tree = ast.parse("".join(lines))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        if plugin is not None:
            before = time.process_time()
            for _ in plugin(tree, path, lines).run():
                pass
            own += time.process_time() - before
        Checker(tree, filename=path)
        del tree
    total = time.process_time() - start
    gc.callbacks.remove(note)
    return (f"{codes or 'pyflakes alone':<24} {total:7.2f} s, plugin {own:5.2f} s; "
            f"collections {spent[0]:.2f} / {spent[1]:.2f} / {spent[2]:.2f} s "
            f"({counts[0]} / {counts[1]} / {counts[2]}); oldest generation at full "
            f"collections: {oldest[0]:,} objects in all")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--codes", default="FBP100,FBP101,FBP303",
                        help="the plugin's codes to run (default: %(default)s)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process's part
    args = parser.parse_args(argv)
    if args.one is not None:
        print(measure(args.folder, args.one))
        return 0
    for codes in ("", args.codes):  # each in a fresh process
        result = subprocess.run([sys.executable, __file__, args.folder, "--one", codes],
                                check=False)
        if result.returncode:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
