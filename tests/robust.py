"""Helpers for the reliability tests (tests/test_robust_*.py).

Hostile inputs are generated into pytest's tmp_path by the tests themselves; nothing
here reads or writes outside the folders the tests hand in.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional

from fastapi_lint.engine import check_tree
from fastapi_lint.options import Settings
from fastapi_lint.plugin import Plugin

# What a crash looks like on stderr: a Python traceback, an error the engine logged
# while running a check, or flake8 giving up on a plugin.
CRASH_MARKERS = (
    "Traceback (most recent call last)",
    "internal error",
    "failed during execution",
    "There was a critical error",
    "RecursionError",
)


REPORT = re.compile(r"^(.*?):(\d+):(\d+): ([A-Z]+\d+) ")


def crashes(stderr: str) -> list[str]:
    """The lines of `stderr` that show a crash."""
    return [line for line in stderr.splitlines()
            if any(marker in line for marker in CRASH_MARKERS)]


def flake8(targets: list[str], cwd: Path, *args: str, select: str = "FBP,E9",
           env: Optional[dict[str, str]] = None,
           recursion_limit: Optional[int] = None) -> subprocess.CompletedProcess:
    """Run flake8 as a user would (`python -m flake8`), with the default format.

    `recursion_limit` raises Python's limit first, for inputs on which flake8's own
    pyflakes plugin runs out of stack before ours is reached.
    """
    if recursion_limit is None:
        command = [sys.executable, "-m", "flake8"]
    else:
        command = [sys.executable, "-c",
                   f"import sys; sys.setrecursionlimit({recursion_limit}); "
                   "from flake8.main.cli import main; sys.exit(main())"]
    command += ["--select", select, *args, *targets]
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=900,
                          env=environment)


def reported(stdout: str) -> list[tuple[str, int, int, str]]:
    """(path, line, column, code) of each line flake8 printed in its default format."""
    found = []
    for line in stdout.splitlines():
        match = REPORT.match(line)
        if match is None:
            raise AssertionError(f"unexpected flake8 output: {line[:300]!r}")
        path, row, col, code = match.groups()
        found.append((path, int(row), int(col), code))
    return found


class LogCatcher(logging.Handler):
    """Keeps every record fastapi_lint logs at WARNING or above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [self.format(record) for record in self.records]


@contextlib.contextmanager
def caught_logs() -> Iterator[LogCatcher]:
    """Collect what the package logs (internal errors are logged, not raised)."""
    catcher = LogCatcher()
    logger = logging.getLogger("fastapi_lint")
    logger.addHandler(catcher)
    try:
        yield catcher
    finally:
        logger.removeHandler(catcher)


def plugin_findings(tree: ast.AST, filename: str = "-") -> list[tuple[int, int, str]]:
    """Run the flake8 plugin in-process on a tree; (line, 1-based column, code)."""
    return [(line, col + 1, text.split(" ", 1)[0])
            for line, col, text, _ in Plugin(tree, filename).run()]


def engine_codes(tree: ast.Module, path: Optional[str] = None,
                 settings: Optional[Settings] = None) -> list[tuple[int, int, str]]:
    """check_tree on a tree; (line, 1-based column, code) of the rules on by default."""
    return [(f.line, f.col + 1, f.code)
            for f in check_tree(tree, path, settings or Settings()) if f.rule.default]


def locate(tree: ast.AST, line: int = 1) -> ast.AST:
    """Give every node a location, iteratively (ast.fix_missing_locations recurses)."""
    for node in ast.walk(tree):
        if "lineno" in node._attributes:
            node.lineno = getattr(node, "lineno", line) or line
            node.col_offset = getattr(node, "col_offset", 0) or 0
            node.end_lineno = getattr(node, "end_lineno", None) or node.lineno
            node.end_col_offset = getattr(node, "end_col_offset", None) or 0
    return tree


def work(function: Callable[[], object]) -> int:
    """How much `function()` does, counted as lines of Python run plus calls of
    Python and C functions: unlike time, the same on every run and every machine,
    and a loop costs its iterations even when it calls nothing."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        count += 1
        return trace

    def profile(frame, event, arg):
        nonlocal count
        if event == "c_call":
            count += 1

    previous_trace, previous_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(previous_profile)
        sys.settrace(previous_trace)
    return count


def forget_process_state() -> None:
    """Drop what fastapi_lint memoises per process (project indexes, folder listings,
    settings read), so that an in-process run sees the files as a new process would."""
    from fastapi_lint.project import index

    index.clear()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "fastapi_lint":
            continue
        for value in list(vars(module).values()):
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()
