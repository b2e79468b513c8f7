"""Rules off by default (FBP304) follow flake8's selection as its users expect.

flake8 lets an explicit `--select FBP` override the default ignore list; the plugin
keeps such rules off unless `--select` or `--extend-select` names them in full.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness import FIXTURES, FORMAT, expected_findings

FIXTURE = FIXTURES / "rules" / "FBP304.py"
EXPECTED = {(line, col) for line, col, code in expected_findings(FIXTURE)
            if code == "FBP304"}


def fbp304(*args: str, cwd=None) -> set[tuple[int, int]]:
    """(line, column) of the FBP304 findings flake8 reports with `args`."""
    command = [sys.executable, "-m", "flake8", "--format", FORMAT, "--jobs", "1",
               *args, str(FIXTURE)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(command, cwd=cwd or FIXTURE.parent, capture_output=True,
                          text=True, timeout=300, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    found = set()
    for row in proc.stdout.splitlines():
        _, line, col, code, _ = row.split("\t", 4)
        if code == "FBP304":
            found.add((int(line), int(col)))
    return found


def test_fixture_has_findings_to_lose():
    assert len(EXPECTED) >= 3


@pytest.mark.parametrize("args", [
    (),
    ("--select", "FBP"),
    ("--select", "FBP,E,W"),
    ("--select", "FBP3"),
    ("--ignore", "E501"),
    ("--extend-select", "FBP304", "--extend-ignore", "FBP304"),
], ids=["default", "select-FBP", "select-several", "select-family", "explicit-ignore",
        "extend-ignored"])
def test_stays_off(args):
    assert fbp304(*args) == set()


@pytest.mark.parametrize("args", [
    ("--extend-select", "FBP304"),
    ("--select", "FBP", "--extend-select", "FBP304"),
    ("--select", "FBP304"),
    ("--select", "E,FBP304"),
], ids=["extend-select", "select-and-extend", "select-code", "select-list"])
def test_opted_in(args):
    assert fbp304(*args) == EXPECTED


def test_opted_in_from_config_file(tmp_path):
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-select = FBP304\n")
    assert fbp304("--config", str(tmp_path / "setup.cfg"), cwd=tmp_path) == EXPECTED
