"""Concurrency: flake8 `-j 2` reports exactly what `-j 1` reports.

Run on the rule fixtures, on a generated multi-package project (the layout checks read
the file system, and each worker process has its own caches), with both of the ways
Python starts worker processes (`fork`, Linux's default, and `spawn`, the default on
macOS and Windows), and on an app of the corpus when it is present.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import FIXTURES
from robust import crashes, flake8

CORPUS = os.environ.get("FASTAPI_LINT_CORPUS", "")
SPAWN = ("import multiprocessing, sys; multiprocessing.set_start_method('spawn'); "
         "from flake8.main.cli import main; sys.exit(main())")


def lines(proc) -> list[str]:
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return sorted(proc.stdout.splitlines())


def project(root: Path, packages: int = 12) -> Path:
    """A project with domain packages, some complete and some missing modules."""
    (root / "pyproject.toml").write_text(
        "[tool.fastapi-lint]\napp-root = 'src'\nrequired-modules = ['schemas']\n")
    src = root / "src"
    src.mkdir()
    (src / "__init__.py").write_text("")
    (src / "main.py").write_text(
        "from fastapi import FastAPI\n"
        + "".join(f"from src.p{i} import router as r{i}\n" for i in range(packages))
        + "app = FastAPI()\n")
    for i in range(packages):
        package = src / f"p{i}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        if i % 2:
            (package / "schemas.py").write_text("X = 1\n")
        (package / "router.py").write_text(
            "import time\nimport asyncio\nfrom fastapi import APIRouter\n"
            f"from src.p{(i + 1) % packages}.service import helper\n"
            "router = APIRouter()\n"
            f"@router.post('/p{i}')\n"
            "async def create():\n"
            "    time.sleep(1)\n"
            "    asyncio.create_task(helper())\n")
        (package / "service.py").write_text("async def helper():\n    pass\n")
    return root


def test_jobs_on_rule_fixtures():
    folder = FIXTURES / "rules"
    one = lines(flake8(["."], folder, "--jobs", "1"))
    assert one, "the fixtures report something"
    assert lines(flake8(["."], folder, "--jobs", "2")) == one


def test_jobs_on_a_project(tmp_path):
    root = project(tmp_path)
    one = lines(flake8(["."], root, "--jobs", "1"))
    assert {line.split(": ")[1].split()[0] for line in one} >= {
        "FBP100", "FBP200", "FBP201", "FBP400"}
    assert lines(flake8(["."], root, "--jobs", "2")) == one
    proc = subprocess.run(
        [sys.executable, "-c", SPAWN, "--select", "FBP,E9", "--jobs", "2", "."],
        cwd=root, capture_output=True, text=True, timeout=600)
    assert lines(proc) == one


@pytest.mark.skipif(not os.path.isdir(CORPUS),
                    reason="FASTAPI_LINT_CORPUS is not set to the corpus folder "
                           "(tests/corpus.sh fetches it)")
def test_jobs_on_a_corpus_app():
    apps = sorted(p for p in Path(CORPUS).iterdir()
                  if p.is_dir() and not p.name.startswith("."))
    app = next((p for p in apps if p.name == "khoj"), apps[0])
    before = sorted(app.rglob(".fastapi_lint_cache"))
    # The cache off: the corpus is read, never written.
    one = lines(flake8(["."], app, "--jobs", "1", "--fastapi-cache=false"))
    assert one, f"{app.name} reports something"
    assert lines(flake8(["."], app, "--jobs", "2", "--fastapi-cache=false")) == one
    assert sorted(app.rglob(".fastapi_lint_cache")) == before
