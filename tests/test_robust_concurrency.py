"""Concurrency: `fastapi-lint check` runs at once on one project, sharing its cache.

Both caches live in `.fastapi_lint_cache/` under the project root: the stored results
(`results.json`, fastapi_lint/results.py) and the project index's module summaries
(packs of them, `index-*/pack-*.jsonl`, fastapi_lint/project/cache.py). Two real processes started
together on the same project, or one fixing while the other checks, or one running
while its cache is damaged under it, must exit normally with the findings a lone run
gives, and leave a cache a later run reads back to the same findings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from clirun import run
from fastapi_lint import runner
from fastapi_lint.project.cache import CACHE_DIR, MAX_PACKS, SummaryCache
from fastapi_lint.project.summary import ModuleSummary
from fastapi_lint.results import FILE
from harness import FIXTURES
from robust import crashes, forget_process_state

CHAINS = FIXTURES / "projects" / "chains"
MODULES = 300  # enough work for two runs to overlap (each reads and writes the cache)


def make_project(tmp_path: Path, modules: int = MODULES) -> Path:
    """The `chains` fixture project with MODULES more modules, each with a route that
    blocks directly (fixable) and through a helper of the next module."""
    root = tmp_path / "shop"
    shutil.copytree(CHAINS, root, ignore=shutil.ignore_patterns(CACHE_DIR,
                                                                "__pycache__"))
    extra = root / "shop" / "extra"
    extra.mkdir()
    (extra / "__init__.py").write_text("")
    for number in range(modules):
        following = (number + 1) % modules
        (extra / f"m{number}.py").write_text(
            "import time\n\nfrom fastapi import APIRouter\n\n"
            f"from shop.extra.m{following} import helper_{following}\n\n"
            "router = APIRouter()\n\n\n"
            f"def helper_{number}():\n    time.sleep(0.1)\n\n\n"
            f"@router.get('/m{number}', status_code=200, response_model=None)\n"
            f"async def route_{number}():\n"
            f"    helper_{following}()\n"
            "    time.sleep(1)\n"
            "    return {}\n\n\n"
            f"@router.get('/w{number}', status_code=200, response_model=None)\n"
            f"async def waits_{number}():\n"
            "    time.sleep(1)\n"
            "    await later()\n\n\n"
            "async def later():\n    pass\n")
    return root


def command() -> list[str]:
    script = Path(sys.executable).with_name("fastapi-lint")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "fastapi_lint.cli"]


class Run:
    """A `fastapi-lint check` process; its output goes to files, so that a run never
    waits for the test to read a full pipe while another one goes on."""

    def __init__(self, root: Path, *args: str) -> None:
        self.out = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.err = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [*command(), "check", "--jobs", "1", *args, "."], cwd=root,
            stdout=self.out, stderr=self.err,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"})

    def running(self) -> bool:
        return self.process.poll() is None


def start(root: Path, *args: str) -> Run:
    return Run(root, *args)


def finish(run_: Run) -> str:
    """The output of a run, once it exited normally (0 or 1) without a crash."""
    code = run_.process.wait(timeout=600)
    run_.out.seek(0)
    run_.err.seek(0)
    out, err = run_.out.read(), run_.err.read()
    run_.out.close()
    run_.err.close()
    assert code in (0, 1), (code, err[-3000:])
    assert not crashes(err), err[-3000:]
    return out


def lone(root: Path, *args: str) -> str:
    """What one run reports with nothing stored (and storing nothing)."""
    return finish(start(root, "--no-cache", *args))


def cache_files(root: Path) -> list[Path]:
    folder = root / CACHE_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def assert_cache_readable(root: Path) -> None:
    """Every cache file whole: no temporary file left, every entry what it claims."""
    files = cache_files(root)
    names = {p.name for p in files}
    assert FILE in names and ".gitignore" in names and "CACHEDIR.TAG" in names
    for path in files:
        assert not path.name.startswith(".results-") and path.suffix != ".tmp", path
        if path.name == FILE:
            stored = json.loads(path.read_bytes())
            assert set(stored) >= {"format", "code", "layout", "content", "files"}
            checked = {str(p) for p in root.rglob("*.py")
                       if CACHE_DIR not in p.parts}
            assert set(stored["files"]) == checked
        elif path.suffix == ".jsonl":
            for line in path.read_bytes().splitlines():
                digest, _, text = line.partition(b" ")
                assert len(digest) == 40, path
                ModuleSummary.from_json(json.loads(text))


def served_from_cache(root: Path, monkeypatch) -> str:
    """A run in this process that must check no file (every result reused)."""
    forget_process_state()
    checked = []
    real = runner.run_job
    monkeypatch.setattr(runner, "run_job",
                        lambda job, *rest: checked.append(job.display) or real(job, *rest))
    result = run("check", "--jobs", "1", ".", cwd=root)
    monkeypatch.setattr(runner, "run_job", real)
    forget_process_state()
    assert result.code in (0, 1) and not crashes(result.err), result.err
    assert checked == []
    return result.out


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_two_checks_at_once_agree_and_keep_the_cache_whole(
        tmp_path, monkeypatch, warm):
    root = make_project(tmp_path)
    edited = root / "shop" / "extra" / "m3.py"
    for round_ in range(3):
        if warm:  # a cache from an earlier run, then an edit both runs must see
            finish(start(root))
            edited.write_text(edited.read_text().replace(
                "time.sleep(0.1)", f"x = {round_}"))
        else:
            shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
        expected = lone(root)
        assert "FBP100" in expected and "FBP101" in expected
        first, second = start(root), start(root)
        assert finish(first) == expected
        assert finish(second) == expected
        assert_cache_readable(root)
        assert served_from_cache(root, monkeypatch) == expected


def test_a_fix_and_a_check_at_once(tmp_path, monkeypatch):
    root = make_project(tmp_path, 60)  # fixing is slower: the check runs meanwhile
    reference = shutil.copytree(root, tmp_path / "reference")
    finish(start(reference, "--fix"))
    fixed = {p.relative_to(reference): p.read_bytes() for p in reference.rglob("*.py")}
    assert fixed != {p.relative_to(root): p.read_bytes() for p in root.rglob("*.py")}
    expected = lone(reference)
    fixing, checking = start(root, "--fix"), start(root)
    finish(fixing)
    for line in finish(checking).splitlines()[:-1]:  # the last line sums up
        assert line.startswith(("shop/", "shop" + os.sep)) and ": FBP" in line, line
    assert {p.relative_to(root): p.read_bytes() for p in root.rglob("*.py")} == fixed
    after = finish(start(root))  # what the check stored may be of either version
    assert after == expected
    assert_cache_readable(root)
    assert served_from_cache(root, monkeypatch) == expected


GARBAGE = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[:len(data) // 2],
    "binary": lambda data: b"\x00\xff\xfe" * 50,
    "deep": lambda data: b"[" * 20_000,
    "string": lambda data: b'"a string"',
    "list": lambda data: b"[1, 2]",
}


def test_a_cache_damaged_while_a_run_reads_it(tmp_path):
    root = make_project(tmp_path)
    finish(start(root))  # a full cache
    (root / "shop" / "extra" / "new.py").write_text("X = 1\n")  # results go stale
    expected = lone(root)
    entries = {path: path.read_bytes() for path in cache_files(root)}
    process = start(root)
    rounds = 0
    while process.running() or rounds == 0:
        for number, (path, data) in enumerate(entries.items()):
            kind = list(GARBAGE)[(number + rounds) % len(GARBAGE)]
            try:
                path.write_bytes(GARBAGE[kind](data))
            except OSError:
                pass
        rounds += 1
        time.sleep(0.01)
    assert finish(process) == expected
    assert finish(start(root)) == expected  # over what is left of the cache
    assert finish(start(root)) == expected


# -- one damaged cache file at a time, in this process ------------------------------


def check_here(root: Path, *args: str, paths: tuple[str, ...] = (".",)) -> str:
    forget_process_state()
    result = run("check", "--jobs", "1", *args, *paths, cwd=root)
    forget_process_state()
    assert result.code in (0, 1) and not crashes(result.err), result.err
    return result.out


@pytest.fixture
def chains(tmp_path) -> Path:
    root = tmp_path / "chains"
    shutil.copytree(CHAINS, root, ignore=shutil.ignore_patterns(CACHE_DIR,
                                                                "__pycache__"))
    return root


@pytest.mark.parametrize("kind", GARBAGE)
@pytest.mark.parametrize("which", ["results", "index"])
def test_a_damaged_cache_file_is_a_miss(chains, which, kind):
    expected = check_here(chains, "--no-cache")
    assert check_here(chains) == expected
    if which == "results":
        damaged = [chains / CACHE_DIR / FILE]
    else:
        damaged = sorted((chains / CACHE_DIR).glob("index-*/pack-*.jsonl"))
        assert damaged
        (chains / CACHE_DIR / FILE).unlink()  # so the summaries are read
    for path in damaged:
        path.write_bytes(GARBAGE[kind](path.read_bytes()))
    assert check_here(chains) == expected
    assert check_here(chains) == expected


def _stored(root: Path) -> dict:
    return json.loads((root / CACHE_DIR / FILE).read_bytes())


def _entry_damage(entry: dict) -> None:
    entry["result"]["findings"] = [[1, 0, "XYZ999", "not ours", None, None, "{}"]]
    entry["result"]["columns"] = [[1, None]]


@pytest.mark.parametrize("damage", [
    lambda stored: stored.update(files=[]),
    lambda stored: stored.update(files="x"),
    lambda stored: stored["files"].update({k: [] for k in stored["files"]}),
    lambda stored: [_entry_damage(e) for e in stored["files"].values()],
    lambda stored: [e["result"].update(findings=[["1", 0, "FBP100", "m", None, None,
                                                  "{}"]])
                    for e in stored["files"].values()],
    lambda stored: [e["result"].update(lines="many") for e in stored["files"].values()],
    lambda stored: [e["result"].update(error=[1, 2, 3, 4])
                    for e in stored["files"].values()],
], ids=["files-a-list", "files-a-string", "entries-lists", "unknown-code",
        "line-a-string", "lines-a-string", "error-too-long"])
def test_stored_results_of_the_wrong_shape_are_a_miss(chains, damage):
    """Results whose header matches (same build, same layout) but whose body is damaged:
    each damaged part is ignored, never trusted and never a crash."""
    expected = check_here(chains, "--no-cache")
    assert check_here(chains) == expected
    stored = _stored(chains)
    damage(stored)
    (chains / CACHE_DIR / FILE).write_text(json.dumps(stored))
    assert check_here(chains) == expected
    assert check_here(chains) == expected


BLOCKING = ("import time\n\n\nasync def tick():\n    time.sleep(1)\n")
FIXED = ("import asyncio\n\n\nasync def tick():\n    await asyncio.sleep(1)\n")


@pytest.mark.parametrize("place", ["shop/late.py", "build/late.py"])
def test_a_file_changed_while_it_is_checked_is_checked_again(
        chains, monkeypatch, place):
    """Another process (a `--fix`) rewrites a file just after this run read it: what
    this run stores must not pass for the new content's findings. `build/` is not part
    of the project's files (it is only checked when named)."""
    late = chains / place
    late.parent.mkdir(exist_ok=True)
    late.write_text(BLOCKING)
    real = runner.run_job

    def then_rewritten(job, *rest):
        result = real(job, *rest)
        if job.path == str(late):
            late.write_text(FIXED)
        return result

    monkeypatch.setattr(runner, "run_job", then_rewritten)
    assert "FBP100" in check_here(chains, paths=(place,))
    monkeypatch.setattr(runner, "run_job", real)
    fresh = check_here(chains, "--no-cache", paths=(place,))
    assert "FBP100" not in fresh
    assert check_here(chains, paths=(place,)) == fresh


# -- many writes at once: a reader never sees a partial or foreign file ---------------

WRITER = """
import sys
from fastapi_lint import options, results
from fastapi_lint.project.cache import SummaryCache
root, me, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
cache = SummaryCache(root, "index-stress-0")
project = results.Project.read(root, options.build({}))
for round_ in range(rounds):
    for n in range(8):
        cache.put(f"d{n}", {"n": n, "writer": me, "pad": "x" * 50_000})
    cache.flush()  # a pack each round: the packs pile up and get merged
    project.write({f"/{me}/{round_}/{n}": {"pad": "y" * 1000} for n in range(300)})
print(cache.writable)
"""


def test_a_reader_never_sees_a_partial_or_foreign_cache_file(tmp_path):
    """Two processes write the same summaries and the results file over and over while
    this one reads them: every entry read is whole, and each summary is the one its
    digest says (a temporary file shared by the writers, or a pack removed before its
    merge is in place, would break it)."""
    (tmp_path / "app.py").write_text("X = 1\n")
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name,
                                 "150"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for name in ("a", "b")]
    folder = tmp_path / CACHE_DIR / "index-stress-0"
    stored = tmp_path / CACHE_DIR / FILE
    reads = 0
    while any(writer.poll() is None for writer in writers):
        cache = SummaryCache(str(tmp_path), "index-stress-0")  # reads the packs anew
        for n in range(8):
            entry = cache.get(f"d{n}")
            if entry is None:
                continue
            assert entry["n"] == n and len(entry["pad"]) == 50_000, entry["n"]
            reads += 1
        try:
            json.loads(stored.read_bytes())
            reads += 1
        except FileNotFoundError:
            pass
    for writer in writers:
        out, err = writer.communicate()
        assert writer.returncode == 0 and out.strip() == "True", err
    assert reads > 100  # the reads overlapped the writes
    packs = sorted(p.name for p in folder.iterdir())
    assert all(re.fullmatch(r"pack-\d+-\w+\.jsonl", name) for name in packs), packs
    assert 1 <= len(packs) <= MAX_PACKS + 2  # merged as they piled up
    last = SummaryCache(str(tmp_path), "index-stress-0")
    assert [last.get(f"d{n}")["n"] for n in range(8)] == list(range(8))
    assert [p.name for p in stored.parent.glob(".results-*")] == []
