"""How long the project index takes to build for a project, cold and warm.

usage: python benchmarks/index_build.py PROJECT_ROOT

The project's `*.py` files are copied to a temporary folder (the original is never
written to), then the index is built three times, each time answering for every module
as a full flake8 run would: with an empty cache, with a warm cache, and after one file
changed. A script, not a test: timings vary from machine to machine.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

from fastapi_lint.options import Settings
from fastapi_lint.project import discover, index


def build(root: str) -> tuple[float, float, int, int]:
    """(seconds, CPU seconds, modules summarised afresh, modules skipped) for one full
    build."""
    index.clear()
    start, cpu = time.perf_counter(), time.process_time()
    project = index.build(root, Settings())
    for file in project.files:
        project.summary(file)
    return (time.perf_counter() - start, time.process_time() - cpu, len(project.parsed),
            len(project.skipped))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    source = os.path.abspath(argv[0])
    files = discover.project_files(source)
    with tempfile.TemporaryDirectory() as folder:
        for file in files:
            target = os.path.join(folder, file)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(source, file), target)
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in files)
        print(f"{len(files)} modules, {size / 1e6:.1f} MB")
        for label in ("cold", "warm"):
            seconds, cpu, parsed, skipped = build(folder)
            print(f"{label}: {seconds:.2f} s ({cpu:.2f} s CPU), {parsed} summarised, "
                  f"{skipped} skipped")
        with open(os.path.join(folder, files[0]), "a", encoding="utf-8") as handle:
            handle.write("\n# touched\n")
        seconds, cpu, parsed, _ = build(folder)
        print(f"one file touched: {seconds:.2f} s ({cpu:.2f} s CPU), "
              f"{parsed} summarised")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
