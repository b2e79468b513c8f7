"""Reusing the last check's results: a re-run reports exactly what a fresh run would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirun import program, run
from fastapi_lint import runner
from fastapi_lint.project import index
from fastapi_lint.project.cache import CACHE_DIR
from fastapi_lint.results import FILE
from harness import FIXTURES

CHAINS = FIXTURES / "projects" / "chains"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "chains"
    shutil.copytree(CHAINS, target,
                    ignore=shutil.ignore_patterns(CACHE_DIR, "__pycache__"))
    return target


def fresh(root: Path, *args: str) -> str:
    """What a run with no stored results reports (the stored ones are put back)."""
    stored = root / CACHE_DIR / FILE
    kept = stored.read_bytes() if stored.exists() else None
    result = program("check", "--no-cache", *args, ".", cwd=root)
    assert result.code in (0, 1), result.err
    if kept is not None:
        stored.write_bytes(kept)
    return result.out


def test_a_second_run_checks_nothing_and_reports_the_same(root, monkeypatch):
    index.clear()
    first = run("check", "-j1", ".", cwd=root)
    assert first.code == 1 and "FBP101" in first.out
    assert (root / CACHE_DIR / FILE).is_file()
    checked = []
    real = runner.run_job
    monkeypatch.setattr(runner, "run_job", lambda job: checked.append(job) or real(job))
    second = run("check", "-j1", ".", cwd=root)
    assert checked == []
    assert (second.code, second.out, second.err) == (first.code, first.out, first.err)
    index.clear()


def test_an_edit_rechecks_the_files_whose_findings_read_it(root):
    first = program("check", ".", cwd=root)
    assert "read_file -> pathlib.Path().read_text" in first.out
    helpers = root / "shop" / "orders" / "helpers.py"
    helpers.write_text(helpers.read_text().replace(
        "return Path(name).read_text()", "return name"))
    second = program("check", ".", cwd=root)
    assert "pathlib.Path().read_text" not in second.out
    assert second.out == fresh(root)
    assert program("check", ".", cwd=root).out == second.out


def test_a_new_module_in_a_domain_package_is_seen(root):
    first = program("check", ".", cwd=root)
    assert "FBP201 domain package `orders` has no `schemas`, `service`" in first.out
    (root / "shop" / "orders" / "schemas.py").write_text("X = 1\n")
    second = program("check", ".", cwd=root)
    assert "has no `service`: add `service.py`" in second.out
    assert second.out == fresh(root)


def test_other_settings_or_selection_are_not_served_old_results(root):
    every = program("check", ".", cwd=root)
    only = program("check", "--select", "FBP201", ".", cwd=root)
    assert only.out == fresh(root, "--select", "FBP201") != every.out
    assert program("check", ".", cwd=root).out == every.out


@pytest.mark.parametrize("content", ["{not json", '{"format": 1, "files": []}', "[]",
                                     '{"format": 1, "files": {"x": {"key": 1}}}'])
def test_unreadable_stored_results_are_ignored(root, content):
    expected = program("check", ".", cwd=root).out
    stored = root / CACHE_DIR / FILE
    stored.write_text(content)
    again = program("check", ".", cwd=root)
    assert again.out == expected and "Traceback" not in again.err
    json.loads(stored.read_text())  # written anew


def test_a_wrong_entry_for_one_file_is_checked_again(root):
    expected = program("check", ".", cwd=root).out
    stored = root / CACHE_DIR / FILE
    data = json.loads(stored.read_text())
    for entry in data["files"].values():
        entry["result"] = {"findings": "garbage"}
    stored.write_text(json.dumps(data))
    assert program("check", ".", cwd=root).out == expected


def test_no_cache_keeps_no_results(root):
    program("check", "--no-cache", ".", cwd=root)
    assert not (root / CACHE_DIR / FILE).exists()


def test_fixes_always_check_afresh(root):
    (root / "shop" / "later.py").write_text(
        "import time\n\n\nasync def later():\n    time.sleep(1)\n")
    assert "FBP100" in program("check", ".", cwd=root).out
    diff = program("check", "--diff", ".", cwd=root)  # nothing changed since
    assert "+    await asyncio.sleep(1)" in diff.out


def test_checking_one_file_keeps_the_other_files_results(root, monkeypatch):
    index.clear()
    everything = run("check", "-j1", ".", cwd=root)
    run("check", "-j1", "shop/notify/service.py", cwd=root)
    checked = []
    real = runner.run_job
    monkeypatch.setattr(runner, "run_job", lambda job: checked.append(job) or real(job))
    again = run("check", "-j1", ".", cwd=root)
    assert checked == [] and again.out == everything.out
    index.clear()
