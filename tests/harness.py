"""Fixture files with inline expectations, run through the real flake8 entry point.

A fixture states each expected finding on the line it belongs to, with the column flake8
prints: `time.sleep(1)  # error: FBP100:5`. Several may share a line
(`# error: FBP300:2 FBP301:2`). Every line without a marker must stay clean, so the clean
cases in a fixture are checked as strictly as the findings.

A fixture may start with `# flake8-args: --fastapi-status-code-methods=POST` to run with
extra flake8 arguments.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Optional

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MARKER = re.compile(r"#\s*error:\s*((?:FBP\d{3}:\d+\s*)+)")
ARGS = re.compile(r"^#\s*flake8-args:\s*(.*)$", re.M)
FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"

Expectation = tuple[int, int, str]


def expected_findings(path: Path) -> set[Expectation]:
    """The (line, column, code) triples the markers in a fixture promise."""
    found = set()
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            for item in match.group(1).split():
                code, column = item.split(":")
                found.add((number, int(column), code))
    return found


class Parsed(NamedTuple):
    """A fixture file parsed, with the settings the plugin would check it with."""

    path: Path
    text: str
    tree: ast.Module
    settings: Any
    root: Optional[str]


def parsed_fixtures() -> Iterator[Parsed]:
    """Every fixture file that parses, with its settings (the summary cache off)."""
    from fastapi_lint.plugin import _settings_for

    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        settings, root = _settings_for(str(path.parent))
        if settings is not None:
            yield Parsed(path, text, tree, dataclasses.replace(settings, cache=False), root)


def flake8_args(path: Path) -> tuple[str, ...]:
    match = ARGS.search(path.read_text(encoding="utf-8", errors="replace"))
    return tuple(match.group(1).split()) if match else ()


class Run:
    """One flake8 run: findings by absolute path, with messages, and its stderr."""

    def __init__(self, findings: dict[Path, list[tuple[int, int, str, str]]],
                 stderr: str, returncode: int) -> None:
        self.findings = findings
        self.stderr = stderr
        self.returncode = returncode

    def triples(self, path: Path) -> set[Expectation]:
        return {(line, col, code) for line, col, code, _ in self.findings.get(path, [])}

    def messages(self, path: Path) -> list[str]:
        return [f"{code} {text}" for _, _, code, text in self.findings.get(path, [])]


def run_flake8(targets: Iterable[Path], cwd: Path, *args: str,
               select: str = "FBP") -> Run:
    """Run `python -m flake8` on `targets` from `cwd` and collect what it reports."""
    command = [sys.executable, "-m", "flake8", "--select", select, "--format", FORMAT,
               "--jobs", "1", *args, *(str(t) for t in targets)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=600, env=env)
    findings: dict[Path, list[tuple[int, int, str, str]]] = {}
    for line in proc.stdout.splitlines():
        parts = line.split("\t", 4)
        if len(parts) != 5:
            raise AssertionError(f"unexpected flake8 output: {line!r}")
        path = (cwd / parts[0]).resolve()
        findings.setdefault(path, []).append(
            (int(parts[1]), int(parts[2]), parts[3], parts[4]))
    return Run(findings, proc.stderr, proc.returncode)


def describe(expected: set[Expectation], got: set[Expectation]) -> str:
    missing = "\n".join(f"  missing {c} at {l}:{col}" for l, col, c in sorted(expected - got))
    extra = "\n".join(f"  unexpected {c} at {l}:{col}" for l, col, c in sorted(got - expected))
    return "\n".join(part for part in (missing, extra) if part)
