"""Reusing the last check's results: a re-run reports exactly what a fresh run would."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

from clirun import program, run
from fastapi_lint import runner
from fastapi_lint.project import index
from fastapi_lint.project.reads import _INLINE, Reads, Table, load
from fastapi_lint.project.cache import CACHE_DIR, STALE_SECONDS
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
    monkeypatch.setattr(runner, "run_job", lambda job, *rest: checked.append(job) or real(job, *rest))
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
    monkeypatch.setattr(runner, "run_job", lambda job, *rest: checked.append(job) or real(job, *rest))
    again = run("check", "-j1", ".", cwd=root)
    assert checked == [] and again.out == everything.out
    index.clear()


def checked_files(root: Path, monkeypatch) -> tuple[list[str], str]:
    """(the files a run checks afresh, relative to `root`; its report), as if the run
    were a new process."""
    index.clear()
    checked: list[str] = []
    real = runner.run_job
    monkeypatch.setattr(runner, "run_job", lambda job, *rest: checked.append(
        Path(job.path).relative_to(root).as_posix()) or real(job, *rest))
    outcome = run("check", "-j1", ".", cwd=root)
    monkeypatch.setattr(runner, "run_job", real)
    index.clear()
    return sorted(checked), outcome.out


HELPERS = Path("shop") / "orders" / "helpers.py"
UNUSED = "\n\ndef unused(value):\n    return value\n"  # a function nobody calls
ROUTER = "shop/orders/router.py"


def test_a_new_function_nobody_calls_rechecks_only_its_file(root, monkeypatch):
    checked_files(root, monkeypatch)
    helpers = root / HELPERS
    helpers.write_text(helpers.read_text() + UNUSED)
    checked, out = checked_files(root, monkeypatch)
    assert checked == [HELPERS.as_posix()]
    assert out == fresh(root)


def test_a_called_helper_that_starts_blocking_rechecks_its_callers(root, monkeypatch):
    first, before = checked_files(root, monkeypatch)
    assert "checksum" not in before
    helpers = root / HELPERS
    helpers.write_text(helpers.read_text().replace(
        "return len(json.dumps(order))",
        "return len(Path('sums').read_text()) + len(json.dumps(order))"))
    checked, out = checked_files(root, monkeypatch)
    assert HELPERS.as_posix() in checked and ROUTER in checked
    assert len(checked) < len(first)  # the files that never read `checksum` are kept
    assert "`checksum()` in `show`" in out or "checksum -> " in out
    assert out == fresh(root)


def test_an_edit_that_moves_lines_rechecks_readers_of_what_moved(root, monkeypatch):
    checked_files(root, monkeypatch)
    helpers = root / HELPERS
    helpers.write_text("\n\n" + helpers.read_text())
    checked, out = checked_files(root, monkeypatch)
    assert ROUTER in checked  # the calls it reads are stored with their lines
    assert out == fresh(root)


def test_a_changed_route_rechecks_the_files_reading_every_route(root, monkeypatch):
    checked_files(root, monkeypatch)
    router = root / ROUTER
    router.write_text(router.read_text().replace('"/{order_id}", status_code=200',
                                                 '"/{id}", status_code=200'))
    checked, out = checked_files(root, monkeypatch)
    assert ROUTER in checked
    assert out == fresh(root)


def test_without_the_old_summary_every_reader_is_checked_again(root, monkeypatch):
    first, _ = checked_files(root, monkeypatch)
    for folder in (root / CACHE_DIR).iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)  # the summaries; the results stay
    helpers = root / HELPERS
    helpers.write_text(helpers.read_text() + UNUSED)
    checked, out = checked_files(root, monkeypatch)
    assert ROUTER in checked and HELPERS.as_posix() in checked
    assert out == fresh(root)


def test_a_changed_pyproject_rechecks_every_file_that_read_others(root, monkeypatch):
    first, _ = checked_files(root, monkeypatch)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a comment\n")
    checked, out = checked_files(root, monkeypatch)
    assert ROUTER in checked
    assert out == fresh(root)


@pytest.mark.parametrize("reads", [None, [], {"x": "f:y"}, {"x": [1, 2]},
                                   {"*": [["r"]]}, {"shop/orders/helpers.py": [{}]}])
def test_damaged_reads_count_as_changed(root, monkeypatch, reads):
    checked_files(root, monkeypatch)
    stored = root / CACHE_DIR / FILE
    data = json.loads(stored.read_text())
    for entry in data["files"].values():
        entry["reads"] = reads
    data["summaries"] = {"shop/orders/helpers.py": "../../../../etc/passwd"}
    stored.write_text(json.dumps(data))
    helpers = root / HELPERS
    helpers.write_text(helpers.read_text() + UNUSED)
    checked, out = checked_files(root, monkeypatch)
    assert ROUTER in checked
    assert out == fresh(root)


def test_summary_parts_survive_the_cache(root):
    from fastapi_lint import options
    from fastapi_lint.project.summary import ModuleSummary

    project = index.build(str(root), options.build({"cache": False}))
    for file in project.files:
        summary = project.summary(file)
        again = ModuleSummary.from_json(json.loads(json.dumps(summary.to_json())))
        assert index.changed_parts(summary, again) == frozenset(), file
    helpers = project.summary(HELPERS.as_posix())
    assert "f:checksum" in index.summary_parts(helpers)
    assert index.changed_parts(helpers, None) == frozenset(index.summary_parts(helpers))


def test_memoised_answers_note_what_they_were_drawn_from_for_every_reader(root):
    from fastapi_lint import options

    project = index.build(str(root), options.build({"cache": False}))
    readers = []
    for _ in range(2):  # the second reader is answered from memory
        reads = Reads()
        project.reading(reads)
        key = project.callee("shop.orders.helpers.load_order")
        assert project.blocking_chain(key)
        assert project.lookup("shop.notify.send_now") is not None
        project.remember("routes", project.routes)
        readers.append(reads.flat())
    first, second = readers
    assert first == second
    assert ("shop/orders/helpers.py", "f:read_file") in second  # through the chain
    assert ("shop/notify/__init__.py", "e:send_now") in second  # through a re-export
    assert ("*", "r") in second


@pytest.mark.parametrize("path, cwd", [
    ("/a/b/c.py", "/a"), ("/a/b/c.py", "/a/"), ("/a/bc.py", "/a/b"), ("/a/b.py", "/"),
    ("/x/y.py", "/a"), ("/a/b/../c.py", "/a"), ("/a/./b.py", "/a")])
def test_display_paths_are_what_relpath_gives(path, cwd):
    import os

    from fastapi_lint.cli import display_path

    relative = os.path.relpath(path, cwd)
    expected = path if relative.startswith(os.pardir) else relative
    assert display_path(path, cwd) == expected


def test_kept_answers_are_stored_once_and_read_back_whole():
    shared = Reads()
    for number in range(20):  # too many parts to copy into every reader
        shared.add(f"m{number}.py", "f:run")
    inner = Reads()
    inner.add("deep.py", "c:Model")
    shared.include(inner)
    readers = []
    for number in range(3):
        reads = Reads()
        reads.add("own.py", "f:main")
        reads.add(f"other{number}.py", "e:name")
        reads.include(shared)
        readers.append(reads)
    small = Reads()
    small.add("tiny.py", "f:x")
    readers[0].include(small)  # small answers are copied, not referenced
    assert ("tiny.py", "f:x") in readers[0].parts and not small.groups
    table = Table()
    dumped = [table.dump(reads, own="own.py") for reads in readers]
    assert len(table.rows) == 1  # `shared`, whose `inner` was copied into it
    assert all(entry["groups"] == [0] for entry in dumped)
    assert "own.py" not in dumped[1]["parts"]
    rows: list = []
    for row in json.loads(json.dumps(table.rows)):
        rows.append(load(row, rows))
    again = load(json.loads(json.dumps(dumped[2])), rows)
    assert again.flat() == readers[2].flat() - {("own.py", "f:main")}
    assert load({"parts": {}, "groups": [1]}, rows) is None  # no such answer
    assert load({"parts": {"x": "f:y"}, "groups": []}, rows) is None


def _nested_answers(depth: int, shared: Optional[Reads] = None) -> Reads:
    """Kept answers `depth` deep, each using the one below (and `shared`)."""
    current = Reads()
    for number in range(depth):
        outer = Reads()
        for part in range(10):
            outer.add(f"f{number}.py", f"f:g{part}")
        outer.include(current)
        if shared is not None:
            outer.include(shared)
        current = outer
    return current


def test_deeply_nested_kept_answers_are_stored_without_recursion():
    current = _nested_answers(5000)
    table = Table()
    assert table.number(current) == 4999 and len(table.rows) == 5000


def test_deeply_nested_kept_answers_are_pickled_without_recursion():
    """A worker process hands its reads to the main process pickled; answers along a
    call chain nest one level per step, and the pickler's recursion gave out."""
    shared = Reads()
    shared.add("shared.py", "f:s")
    for _ in range(_INLINE):
        shared.add("shared.py", f"f:s{_}")
    current = _nested_answers(5000, shared)
    again = pickle.loads(pickle.dumps(current))
    assert again.flat() == current.flat()
    assert len(list(again.walk())) == len(list(current.walk())) == 5001
    ones = {id(group) for reads in again.walk() for group in reads.groups.values()
            if "shared.py" in {file for file, _ in group.parts}}
    assert len(ones) == 1  # an answer many read is one object after, as before


def test_a_long_chain_of_helpers_under_two_workers(tmp_path):
    """Each module's async function reaches the first module's `time.sleep` through
    every helper before it: under `-j2` the workers' results failed to pickle and the
    run stopped with an internal error (found by a break session)."""
    count = 400
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "h0.py").write_text("import time\n\n\ndef h0():\n    time.sleep(1)\n")
    for number in range(1, count):
        (app / f"h{number}.py").write_text(
            f"from app.h{number - 1} import h{number - 1}\n\n\n"
            f"def h{number}():\n    h{number - 1}()\n\n\n"
            f"async def r{number}():\n    h{number}()\n")
    index.clear()
    workers = run("check", "-j2", "--no-cache", "--select", "FBP101", ".", cwd=tmp_path)
    index.clear()
    alone = run("check", "-j1", "--no-cache", "--select", "FBP101", ".", cwd=tmp_path)
    index.clear()
    assert "internal error" not in workers.err
    assert workers.code == alone.code == 1
    assert workers.out == alone.out
    assert workers.out.count(": FBP101 ") == count - 1


def test_an_answer_many_files_read_is_stored_once(tmp_path, monkeypatch):
    count = 30
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    for number in range(count):
        domain = app / f"d{number}"
        domain.mkdir()
        (domain / "__init__.py").write_text("")
        (domain / "models.py").write_text(
            f"from pydantic import BaseModel\n\n\nclass Item{number}(BaseModel):\n"
            "    name: str\n")
        (domain / "router.py").write_text(
            "from fastapi import APIRouter\n"
            f"from app.d{number}.models import Item{number}\n\n"
            "router = APIRouter()\n\n\n"
            f'@router.get("/items{number}", response_model=Item{number})\n'
            f"def read{number}():\n    return Item{number}(name='x')\n")
    checked_files(tmp_path, monkeypatch)
    data = json.loads((tmp_path / CACHE_DIR / FILE).read_text())
    entries = [entry["reads"] for entry in data["files"].values()]
    # The table of route models, read by every module that defines a class: once.
    widest = max((sum(len(p) for p in row["parts"].values()) for row in data["groups"]),
                 default=0)
    assert widest >= count
    readers = [entry for entry in entries if entry and entry["groups"]]
    assert len(readers) >= count
    copied = sum(len(parts) for entry in entries for parts in entry["parts"].values())
    assert copied < count * 8


def test_an_answer_worked_out_unnoted_counts_as_reading_everything(root):
    from fastapi_lint import options

    project = index.build(str(root), options.build({"cache": False}))
    project.reading(None)  # flake8: nobody notes reads
    key = project.callee("shop.orders.helpers.load_order")
    assert project.blocking_chain(key) and not project._readers
    reads = Reads()
    project.reading(reads)
    assert project.blocking_chain(key)  # from memory: what it read is not known
    assert ("*", "*") in reads.flat()


def test_each_project_index_is_let_go_after_its_last_file(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    for target in (first, second):
        shutil.copytree(CHAINS, target,
                        ignore=shutil.ignore_patterns(CACHE_DIR, "__pycache__"))
    alone = fresh(first).count("FBP101")
    index.clear()
    outcome = run("check", "-j1", "--no-cache", "one", "two", cwd=tmp_path)
    assert not any(key[0] in (str(first), str(second)) for key in index._INDEXES)
    assert outcome.out.count("FBP101") == 2 * alone > 0


def test_copies_of_one_answer_are_stored_once():
    made = []
    for _ in range(3):  # as three worker processes would send the same answer back
        answer = Reads()
        for number in range(12):
            answer.add(f"m{number}.py", "f:run")
        reader = Reads()
        reader.include(answer)
        made.append(reader)
    table = Table()
    assert {table.dump(reader)["groups"][0] for reader in made} == {0}
    assert len(table.rows) == 1


def _shared_answer(part: str) -> tuple[Reads, Reads]:
    """A kept answer that reads `part` of twelve modules and uses another answer (that
    reads a model of twelve more), both too large to be copied into their readers."""
    inner = Reads()
    for number in range(12):
        inner.add(f"deep{number}.py", "c:Model")
    shared = Reads()
    for number in range(12):
        shared.add(f"m{number}.py", part)
    shared.include(inner)
    return shared, inner


def test_copies_arriving_from_workers_are_held_once():
    import pickle

    from fastapi_lint.project.reads import Interner

    shared, _ = _shared_answer("f:run")
    interner = Interner()
    arrived = []
    for number in range(3):  # each result pickled apart, as a worker's chunk is
        reads = Reads()
        reads.add(f"own{number}.py", "f:main")
        reads.include(shared)
        arrived.append(interner.canonical(pickle.loads(pickle.dumps(reads))))
    firsts = {id(group) for reads in arrived for group in reads.groups.values()}
    assert len(firsts) == 1
    assert all(reads.flat() == arrived[0].flat() - {("own0.py", "f:main")} | {
        (f"own{n}.py", "f:main")} for n, reads in enumerate(arrived))


def test_an_answer_held_once_is_not_walked_again_for_each_reader():
    """Each file's stored reads go through the interner; an answer it already holds
    must be taken as it is, not walked and hashed again per file (50,000 files that
    all read the route table made that quadratic)."""
    from fastapi_lint.project.reads import Interner

    shared, inner = _shared_answer("r")
    interner = Interner()
    readers = []
    for number in range(3):
        reads = Reads()
        reads.add(f"own{number}.py", "f:main")
        reads.include(shared)
        readers.append(reads)
    interner.canonical(readers[0])
    held = shared.groups, inner.groups
    for reads in readers[1:]:
        assert interner.canonical(reads) is reads
        assert list(reads.groups.values()) == [shared]
    assert (shared.groups, inner.groups) == held
    assert shared.groups is held[0] and inner.groups is held[1]


def test_the_command_leaves_no_cycles_cold_or_warm(root, monkeypatch):
    """The collector's high thresholds hold for the whole of `check`'s run, not only
    for `check_tree`: reading the file, `# noqa`, and storing and reusing results make
    no reference cycles either (`ast.literal_eval` makes four self-calling closures a
    call: a warm run over many findings piled up cyclic garbage)."""
    import contextlib
    import gc

    from fastapi_lint import engine

    garbage = []

    @contextlib.contextmanager
    def counted():
        gc.collect()
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            garbage.append(gc.collect())
            if enabled:
                gc.enable()

    monkeypatch.setattr(engine, "fewer_collections", counted)
    index.clear()
    run("check", "-j1", "--no-cache", ".", cwd=root)  # imports, what is made once
    index.clear()
    garbage.clear()
    cold = run("check", "-j1", ".", cwd=root)
    warm = run("check", "-j1", ".", cwd=root)
    index.clear()
    assert cold.code == 1 and warm.out == cold.out
    assert garbage == [0, 0]


def _plant(folder: Path, name: str, age: float) -> Path:
    """A file as a process killed while writing leaves it, `age` seconds old."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b'{"half": ')
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_temporary_files_left_by_a_killed_run_are_swept(root):
    base = root / CACHE_DIR
    old_results = _plant(base, ".results-abc123_x", STALE_SECONDS + 60)
    new_results = _plant(base, ".results-def456gh", 5)  # another run writing it now
    first = program("check", "-j1", ".", cwd=root)
    assert first.code == 1, first.err
    packs = next(base.glob("index-*"))
    old_pack = _plant(packs, "pack-0-k9z_a1b2.tmp", STALE_SECONDS + 60)
    new_pack = _plant(packs, "pack-0-zz99yy88.tmp", 5)
    # Names fastapi-lint never gives, or gives in the other folder: not its to remove.
    others = [_plant(folder, name, STALE_SECONDS + 60) for folder, name in (
        (base, ".results-old.bak"), (base, ".results-abcdefg"),
        (base, ".results-\u00e9bcdefgh"), (base, "pack-0-k9z_a1b2.tmp"),
        (packs, ".results-abc123_x"), (packs, "pack-1-k9z_a1b2.tmp"),
        (packs, "pack-0-k9z_a1b2.tmpx"))]
    helpers = root / "shop" / "orders" / "helpers.py"  # a new summary: a pack written
    helpers.write_text(helpers.read_text() + "\n\ndef added():\n    pass\n")
    second = program("check", "-j1", ".", cwd=root)
    assert second.code == 1, second.err
    assert not old_results.exists() and not old_pack.exists()
    assert new_results.exists() and new_pack.exists()
    assert all(path.exists() for path in others)
    assert json.loads((base / FILE).read_text())["files"]  # the results were written


def test_results_that_cannot_be_written_leave_no_temporary_file(root, monkeypatch):
    from fastapi_lint import results

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results.os, "replace", full)
    index.clear()
    outcome = run("check", "-j1", ".", cwd=root)
    assert outcome.code == 1 and "FBP101" in outcome.out
    assert not (root / CACHE_DIR / FILE).exists()
    assert list((root / CACHE_DIR).glob(".results-*")) == []
    index.clear()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_the_results_file_is_a_miss_not_a_hang(root):
    first = program("check", "-j1", ".", cwd=root)
    stored = root / CACHE_DIR / FILE
    stored.unlink()
    os.mkfifo(stored)
    # A real program with a time limit: a hang must fail the test, not stop the suite.
    command = [sys.executable, "-m", "fastapi_lint.cli", "check", "-j1", "."]
    again = subprocess.run(command, cwd=root, capture_output=True, text=True,
                           timeout=120)
    assert (again.returncode, again.stdout) == (first.code, first.out), again.stderr
    assert stored.is_file()  # replaced by this run's results
