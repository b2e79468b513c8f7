"""Every file of every corpus app through flake8 and through the `fastapi-lint`
command: zero tracebacks, zero internal errors, and nothing written into the corpus.

The corpus (real FastAPI applications, about 8,000 to 11,000 files) is fetched from
PyPI by `tests/corpus.sh`, which sets FASTAPI_LINT_CORPUS to its folder; without it the
corpus tests are skipped, saying so. Both front ends run with the cache off, so the
corpus folders stay as fetched. Files that need a newer Python than the one running
must get a syntax-error report (flake8's E999, the command's "error:" line) and
nothing from us; a second test shows that on small files written for each newer
Python, corpus or not.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_lint import files as discovery
from fastapi_lint.project.cache import CACHE_DIR
from robust import crashes, flake8, reported

CORPUS = os.environ.get("FASTAPI_LINT_CORPUS", "")
JOBS = os.environ.get("FASTAPI_LINT_CORPUS_JOBS", "2")
# flake8's default --exclude
EXCLUDED = {".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox",
            ".eggs"}


def corpus_apps() -> list[Path]:
    if not CORPUS or not os.path.isdir(CORPUS):
        return []
    return sorted(p for p in Path(CORPUS).iterdir()
                  if p.is_dir() and not p.name.startswith("."))


APPS = corpus_apps()
SKIP_REASON = (
    f"FASTAPI_LINT_CORPUS={CORPUS!r} is not a folder" if CORPUS else
    "FASTAPI_LINT_CORPUS is not set: run tests/corpus.sh to fetch the corpus of real "
    "FastAPI apps and lint it"
)


def python_files(app: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(app):
        dirs[:] = [d for d in dirs if d not in EXCLUDED and not d.endswith(".egg")]
        found += [Path(folder, f) for f in files if f.endswith(".py")]
    return sorted(found)


def parses_for_flake8(path: Path) -> bool:
    """Whether flake8, on this Python, gets a tree for the file (it reads undecodable
    bytes as latin-1)."""
    data = path.read_bytes()
    try:
        ast.parse(data)
        return True
    except SyntaxError:
        pass
    except (ValueError, RecursionError, MemoryError):
        return False
    try:
        ast.parse(data.decode("latin-1"))
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def cache_state(app: Path) -> list[tuple[str, int, int]]:
    """Every file under a cache folder of the app, with its time and size."""
    state = []
    for folder, dirs, names in os.walk(app):
        if f"{os.sep}{CACHE_DIR}{os.sep}" in folder + os.sep:
            for name in names:
                info = os.stat(os.path.join(folder, name))
                state.append((os.path.join(folder, name), info.st_mtime_ns,
                              info.st_size))
    return sorted(state)


@pytest.mark.parametrize("app", APPS or [None], ids=[a.name for a in APPS] or ["none"])
def test_corpus_app(app):
    if app is None:
        pytest.skip(SKIP_REASON)
    files = python_files(app)
    before = cache_state(app)
    proc = flake8(["."], app, "--jobs", JOBS, "--fastapi-cache=false")
    assert not crashes(proc.stderr), "\n".join(crashes(proc.stderr)[:20])
    assert cache_state(app) == before, "flake8 wrote into the corpus"
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    found = reported(proc.stdout)
    syntax = {os.path.normpath(app / path) for path, _, _, code in found
              if code in ("E999", "E902")}
    unparsable = {os.path.normpath(path) for path in files
                  if not parses_for_flake8(path)}
    assert syntax == unparsable
    ours = [item for item in found if item[3].startswith("FBP")]
    assert not any(os.path.normpath(app / path) in syntax for path, *_ in ours)
    print(f"\n{app.name}: {len(files)} files, {len(ours)} findings, "
          f"{len(syntax)} files this Python {sys.version_info[0]}."
          f"{sys.version_info[1]} cannot parse (E999)")


def parses_for_the_command(path: Path) -> bool:
    """Whether the command gets a tree for the file: decoded as Python decodes it (its
    coding cookie, else UTF-8; no fallback), then parsed."""
    try:
        ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


SUMMARY = re.compile(r"(?:No findings in|Found .* of) (\d+) files?"
                     r"(?:; (\d+) paths? could not be checked)?\.$")
ERROR = re.compile(r"^(?P<path>.+?)(?::\d+(?::\d+)?)?: error: (?P<message>.+)$")
CLI_JOBS = ["--jobs", JOBS]


def command() -> list[str]:
    script = Path(sys.executable).with_name("fastapi-lint")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "fastapi_lint.cli"]


@pytest.mark.parametrize("app", APPS or [None], ids=[a.name for a in APPS] or ["none"])
def test_corpus_app_through_the_command(app):
    if app is None:
        pytest.skip(SKIP_REASON)
    targets = discovery.discover([str(app)], lambda folder: (str(app), ())).targets
    before = cache_state(app)
    proc = subprocess.run([*command(), "check", "--no-cache", *CLI_JOBS, "."], cwd=app,
                          capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=1800,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert not crashes(proc.stderr), "\n".join(crashes(proc.stderr)[:20])
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert cache_state(app) == before, "the command wrote into the corpus"
    lines = proc.stdout.splitlines()
    summary = SUMMARY.search(lines[-1])
    assert summary, lines[-1]
    checked = int(summary.group(1))
    assert checked == len(targets)
    errors = {}
    for line in proc.stderr.splitlines():
        match = ERROR.match(line)
        assert match, f"unexpected output on stderr: {line[:300]!r}"
        errors[os.path.normpath(app / match["path"])] = match["message"]
    unparsable = {os.path.normpath(t.path) for t in targets
                  if not parses_for_the_command(Path(t.path))}
    assert set(errors) == unparsable, sorted(set(errors) ^ unparsable)[:20]
    assert int(summary.group(2) or 0) == len(errors)
    ours = [line for line in lines[:-1] if ": FBP" in line]
    assert len(ours) == len(lines) - 1
    assert not any(os.path.normpath(app / line.split(":", 1)[0]) in errors
                   for line in ours)
    print(f"\n{app.name}: {checked} files through the command, {len(ours)} findings, "
          f"{len(errors)} files it could not check")


ROUTE = (
    "import time\nfrom fastapi import FastAPI\napp = FastAPI()\n"
    "@app.get('/', response_model=None)\nasync def f(x):\n    time.sleep(1)\n"
)
NEWER = {
    "py310_match.py": "match x:\n    case [a, *rest]:\n        pass\n",
    "py311_except_star.py": "try:\n    pass\nexcept* ValueError:\n    pass\n",
    "py312_type_alias.py": "type Point[T] = tuple[T, T]\n",
    "py312_generic_def.py": "def first[T](items: list[T]) -> T:\n    return items[0]\n",
    "py312_fstring_quotes.py": "name = 'x'\ns = f\"{f\"{name}\"}\"\n",
    "py313_type_default.py": "def f[T = int](x: T) -> T:\n    return x\n",
    "py314_except_no_parens.py": (
        "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"),
    "py314_template_string.py": "name = 'x'\nt = t\"{name}\"\n",
}


def test_newer_syntax_gives_e999_and_nothing_from_us(tmp_path):
    for name, text in NEWER.items():
        (tmp_path / name).write_text(text + ROUTE)
    proc = flake8(sorted(NEWER), tmp_path, "--jobs", "2")
    assert not crashes(proc.stderr), proc.stderr
    got: dict[str, list[str]] = {name: [] for name in NEWER}
    for path, _, _, code in reported(proc.stdout):
        got[path].append(code)
    for name, text in NEWER.items():
        try:
            ast.parse(text + ROUTE)
        except SyntaxError:
            assert got[name] == ["E999"], (name, got[name])
        else:
            assert got[name] == ["FBP100"], (name, got[name])
