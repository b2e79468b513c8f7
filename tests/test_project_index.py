"""The project index: discovery, the cache on disk, the call graph, both front ends."""

from __future__ import annotations

import ast
import gc
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fastapi_lint.context import FileContext
from fastapi_lint.engine import check_tree
from fastapi_lint.options import Settings
from fastapi_lint.project import discover, index
from fastapi_lint.project import cache as cache_module
from fastapi_lint.project.cache import CACHE_DIR, MAX_PACKS, SummaryCache
from fastapi_lint.project.summary import Class, Function, ModuleSummary, Records
from harness import FIXTURES, parsed_fixtures, run_flake8

CHAINS = FIXTURES / "projects" / "chains"
PROJECTS = [FIXTURES / "projects" / name
            for name in ("chains", "placement", "resources")]


@pytest.fixture(autouse=True)
def fresh_indexes():
    index.clear()
    yield
    index.clear()


def copy_project(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target,
                    ignore=shutil.ignore_patterns(CACHE_DIR, "__pycache__"))
    return target


def summarise_all(project: index.ProjectIndex) -> dict[str, dict]:
    return {f: project.summary(f).to_json() for f in project.files}


# -- discovery -------------------------------------------------------------------------


def test_discovery_skips_tool_folders_virtualenvs_other_projects_excludes(tmp_path):
    files = ["app/main.py", "app/sub/mod.py", ".git/hooks/x.py", "build/lib/x.py",
             "dist/x.py", "node_modules/pkg/x.py", "app/__pycache__/x.py",
             "env/lib/site.py", "other/pyproject.toml", "other/mod.py",
             "other/deep/mod.py", "app/legacy/old.py", "app/gen_pb2.py", "notes.txt"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    found = discover.project_files(str(tmp_path), ("app/legacy", "*_pb2.py"))
    assert found == ["app/main.py", "app/sub/mod.py"]
    assert discover.project_files(str(tmp_path / "other")) == ["mod.py", "deep/mod.py"]
    assert discover.project_files(str(tmp_path / "missing")) == []


def test_module_names_include_the_names_imports_use_in_a_src_layout():
    names = index.module_map(["src/shop/__init__.py", "src/shop/orders.py",
                              "tools/run.py", "setup.py"])
    assert names["src.shop.orders"] == "src/shop/orders.py"
    assert names["shop.orders"] == "src/shop/orders.py"  # `src/` is not a package
    assert names["shop"] == "src/shop/__init__.py"
    assert names["tools.run"] == "tools/run.py" and names["setup"] == "setup.py"
    assert "orders" not in names  # `shop/` is a package: its modules keep its name


# -- the summary and the call graph ----------------------------------------------------


def test_summary_survives_json_unchanged():
    project = index.build(str(CHAINS), Settings(cache=False))
    for file in project.files:
        summary = project.summary(file)
        data = json.loads(json.dumps(summary.to_json()))
        assert ModuleSummary.from_json(data) == summary


def test_summaries_made_fresh_share_their_paths(tmp_path):
    """Each resolution makes a new string; the paths a fresh summary keeps (calls,
    blocking calls, tasks, bases, exports) are held once across the project."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("from app.base import Base\n")
    (tmp_path / "app" / "base.py").write_text(
        "import time\n\n\nclass Base:\n    pass\n\n\n"
        "def wait():\n    time.sleep(1)\n")
    for name in ("one", "two"):
        (tmp_path / "app" / f"{name}.py").write_text(
            "import time\n\nfrom fastapi import BackgroundTasks\n\n"
            "from app import base\nfrom app.base import Base\n\n\n"
            "class Model(Base):\n    pass\n\n\n"
            "def run(tasks: BackgroundTasks):\n    time.sleep(1)\n    base.wait()\n"
            "    tasks.add_task(base.wait)\n")
    project = index.build(str(tmp_path), Settings(cache=False))
    one, two = (project.summary(f"app/{name}.py") for name in ("one", "two"))
    first, second = one.functions["run"], two.functions["run"]
    assert first.blocking[0] == "time.sleep" and first.blocking[0] is second.blocking[0]
    assert first.calls and first.calls[0][0] is second.calls[0][0]
    assert first.tasks and first.tasks[0][0] is second.tasks[0][0]
    assert one.classes["Model"].bases[0] is two.classes["Model"].bases[0]
    assert one.exports["Base"] is two.exports["Base"]


def test_summaries_read_back_share_their_strings():
    """Each string the JSON reader makes is new; read back from the cache, the paths
    that recur across a project's modules are held once."""
    project = index.build(str(CHAINS), Settings(cache=False))
    data = project.summary("shop/notify/service.py").to_json()
    first, second = (ModuleSummary.from_json(json.loads(json.dumps(data)))
                     for _ in range(2))
    pairs = [(a, b) for one, two in zip(first.functions.values(),
                                        second.functions.values())
             for a, b in zip(one.calls, two.calls)]
    assert pairs and all(a[0] is b[0] for a, b in pairs)
    assert first.module is second.module


def test_summary_records_read_like_a_mapping_and_survive_pickling():
    project = index.build(str(CHAINS), Settings(cache=False))
    summary = project.summary("shop/notify/mailer.py")
    functions, classes = summary.functions, summary.classes
    assert "Mailer.send" in functions and "nowhere" not in functions
    send = functions["Mailer.send"]
    assert functions.get("Mailer.send") == send and send.name == "Mailer.send"
    assert isinstance(send, Function) and send.qualname == "Mailer.send"
    assert functions.get("nowhere") is None and functions.get("nowhere", 0) == 0
    with pytest.raises(KeyError):
        functions["nowhere"]
    assert list(functions) == [f.qualname for f in functions.values()]
    assert dict(functions.items()) == {q: functions[q] for q in functions}
    assert len(classes) == 3 and all(isinstance(c, Class) for c in classes.values())
    assert functions != classes and functions == Records(Function, functions.values())
    assert pickle.loads(pickle.dumps(summary)) == summary


def test_the_index_leaves_nothing_for_the_cycle_collector_to_walk():
    """Inside flake8, every full collection walks what the index keeps: a project's
    records and answers are plain tuples, which the collector stops tracking."""
    project = index.build(str(CHAINS), Settings(cache=False))
    for file in project.files:
        for function in project.summary(file).functions.values():
            project.blocking_chain((file, function.qualname))
    del function
    assert project._lookups, "the chains looked callees up"
    for _ in range(3):  # a tuple is let go once the tuples it holds are
        gc.collect()
    kept = [row for file in project.files for records in (
        project.summary(file).functions, project.summary(file).classes)
        for row in records._rows.values()]
    kept += project._lookups.values()
    assert kept and not [row for row in kept if gc.is_tracked(row)]
    assert not [o for o in gc.get_objects() if isinstance(o, (Function, Class,
                                                              index.Target))]


def tracked_parts(obj: object) -> list:
    """The objects under `obj` (itself left out) that the cycle collector tracks."""
    found, seen, stack = [], {id(obj)}, list(gc.get_referents(obj))
    while stack:
        part = stack.pop()
        if id(part) in seen or isinstance(part, type) or not gc.is_tracked(part):
            continue
        seen.add(id(part))
        found.append(part)
        stack.extend(gc.get_referents(part))
    return found


def test_a_summary_is_one_object_for_the_cycle_collector():
    """A full collection visits each tracked object's parts: a summary the index keeps
    costs it one object, whose parts (dicts and tuples of plain values, routes
    included) the collector stops tracking, made fresh or read back."""
    summaries = []
    for root in PROJECTS:
        project = index.build(str(root), Settings(cache=False))
        for file in project.files:
            summary = project.summary(file)
            summaries += [summary, ModuleSummary.from_json(
                json.loads(json.dumps(summary.to_json())))]
    for field in ("functions", "classes", "routes", "exports", "aliases", "includes",
                  "routers", "imports"):
        assert any(getattr(s, field) for s in summaries), f"no summary has {field}"
    for _ in range(3):  # a tuple is let go once the tuples it holds are
        gc.collect()
    assert [tracked_parts(s) for s in summaries if tracked_parts(s)] == []
    summary = next(s for s in summaries if s.routes)
    assert pickle.loads(pickle.dumps(summary)) == summary
    with pytest.raises(AttributeError):
        summary.module = "elsewhere"  # type: ignore[misc]


def test_checking_leaves_no_cycles():
    """Checking makes no reference cycles: every file's tree, scopes and summary are
    freed by reference counting, the project indexes' answers included. The collector's
    high thresholds while checking (`engine.GC_THRESHOLDS`) rest on this."""
    files = list(parsed_fixtures())

    def check_all() -> int:
        for file in files:
            check_tree(file.tree, str(file.path), file.settings, file.root,
                       source=file.text, summarise=True)
        index.clear()
        return len(files)

    check_all()  # imports and what is made once per process
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        checked = check_all()
        garbage = gc.collect()
    finally:
        if enabled:
            gc.enable()
    assert checked > 100
    assert garbage == 0


def test_flake8_gets_its_collector_thresholds_back(tmp_path):
    (tmp_path / "app.py").write_text("import time\n\n\nasync def f():\n"
                                     "    time.sleep(1)\n")
    script = ("import gc, sys\nfrom flake8.main import cli\ngc.set_threshold(700, 9, 8)\n"
              "try:\n    cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "print(gc.get_threshold())\n")
    done = subprocess.run([sys.executable, "-c", script, "--select", "FBP", "-j1",
                           "app.py"], cwd=tmp_path, capture_output=True, text=True)
    assert "FBP100" in done.stdout and done.stdout.endswith("(700, 9, 8)\n"), done


@pytest.mark.parametrize("bad", [None, [], {"module": 1}, {"module": "m"}, "text",
                                 {"module": "m", "imports": [], "exports": {},
                                  "functions": [["f", 1]], "classes": [], "routes": [],
                                  "aliases": {}, "routers": []}])
def test_a_foreign_summary_is_refused(bad):
    with pytest.raises(ValueError):
        ModuleSummary.from_json(bad)


def test_chains_are_shortest_and_cycles_end():
    project = index.build(str(CHAINS), Settings(cache=False))
    service = "shop/notify/service.py"
    assert project.blocking_chain((service, "ping_forever")) is None
    assert project.blocking_chain((service, "pong_then_block")) == (
        "pong_then_block", "ping_then_block", "wait_a_little", "time.sleep")
    assert project.blocking_chain((service, "send_now")) == (
        "send_now", "send_email", "smtplib.SMTP")
    assert project.blocking_chain((service, "send_later")) is None  # executor.submit
    assert project.callee("shop.notify.send_now") == (service, "send_now")  # re-export
    assert project.callee("shop.notify.mailer.Mailer().send") == (
        "shop/notify/mailer.py", "Mailer.send")
    assert project.callee("shop.notify.mailer.AuditedMailer().send") == (
        "shop/notify/mailer.py", "Mailer.send")  # through the base class
    assert project.callee("shop.notify.service.records") is None  # a generator


def test_every_process_finds_the_same_chain_whatever_it_asked_first():
    first = index.build(str(CHAINS), Settings(cache=False))
    first.blocking_chain(("shop/notify/service.py", "ping_then_block"))
    answer = first.blocking_chain(("shop/notify/service.py", "pong_then_block"))
    second = index.build(str(CHAINS), Settings(cache=False))
    key = ("shop/notify/service.py", "pong_then_block")
    assert second.blocking_chain(key) == answer


def test_lazy_initialisation_and_memoised_helpers_do_not_block(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "lazy.py").write_text(textwrap.dedent("""\
        import functools
        import time

        _settings = None


        def settings():
            global _settings
            if _settings is None:
                _settings = open("settings.json").read()
            return _settings


        @functools.lru_cache(maxsize=None)
        def key():
            return open("key.pem").read()


        class Client:
            def connection(self):
                if self._conn is None:
                    self._conn = open("socket")
                return self._conn

            def slow(self):
                if not self.ready:
                    time.sleep(1)
                return self.ready
        """))
    project = index.build(str(tmp_path), Settings(cache=False))
    assert project.blocking_chain(("lazy.py", "settings")) is None
    assert project.callee("lazy.key") is None
    assert project.blocking_chain(("lazy.py", "Client.connection")) is None
    assert project.blocking_chain(("lazy.py", "Client.slow")) == ("Client.slow",
                                                                  "time.sleep")


def test_functions_defined_twice_keep_apart(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "twice.py").write_text(textwrap.dedent("""\
        import time


        def make():
            def _(seconds):
                time.sleep(seconds)

            def _(name: str):
                return name

            return _
        """))
    project = index.build(str(tmp_path), Settings(cache=False))
    summary = project.summary("twice.py")
    assert set(summary.functions) == {"make", "make.<locals>._#1", "make.<locals>._"}
    assert summary.functions["make.<locals>._"].params == ("name",)


def test_the_plain_name_goes_to_the_definition_a_call_reaches(tmp_path):
    # The last in the source (an `else` comes after its `if`), leaving out those bound
    # only on a fallback path: an `except` handler, `if TYPE_CHECKING:`, and what
    # such a definition holds.
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "branches.py").write_text(textwrap.dedent("""\
        import sys
        from typing import TYPE_CHECKING


        if sys.platform == "win32":
            def pick(first):
                return first
        else:
            def pick(second):
                return second

        try:
            def load(one):
                return one

            class Reader:
                def read(self, fast):
                    return fast
        except ImportError:
            def load(two):
                return two

            class Reader:
                def read(self, slow):
                    return slow

        if TYPE_CHECKING:
            def stub(typed): ...
        else:
            def stub(plain):
                return plain
        """))
    project = index.build(str(tmp_path), Settings(cache=False))
    summary = project.summary("branches.py")
    functions = summary.functions
    assert set(functions) == {"pick#1", "pick", "load", "load#1", "Reader.read",
                              "Reader.read#1", "stub#1", "stub"}
    assert functions["pick"].params == ("second",)
    assert functions["pick#1"].params == ("first",)
    assert functions["load"].params == ("one",)
    assert functions["load#1"].params == ("two",)
    assert functions["Reader.read"].params == ("self", "fast")
    assert functions["stub"].params == ("plain",)
    assert summary.classes["Reader"].line == 16


def test_a_fallback_in_an_import_error_handler_is_not_what_a_call_reaches(tmp_path):
    # A def in a `try` body is what a later call reaches whenever the body runs through,
    # the usual case; the handler's def binds only when the import failed. Before
    # 5c31bb9 the try body kept the plain name; now the handler's blocking fallback
    # does, and FBP101 reports a call that normally reaches the non-blocking def.
    # Right value: no finding (a false positive costs more than a miss).
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app.py").write_text(textwrap.dedent("""\
        import json

        try:
            import orjson

            def load_settings(text):
                return orjson.loads(text)
        except ImportError:
            def load_settings(path):
                with open(path) as handle:
                    return json.load(handle)


        async def endpoint():
            return load_settings("{}")
        """))
    run = run_flake8([tmp_path / "app.py"], tmp_path)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.findings == {}


# -- the cache -------------------------------------------------------------------------


def test_a_warm_run_reparses_only_the_changed_file(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    cold = index.build(str(root), Settings())
    first = summarise_all(cold)
    assert sorted(cold.parsed) == sorted(cold.files)
    cold.cache.flush()  # the run ends: what it made is written

    warm = index.build(str(root), Settings())
    assert summarise_all(warm) == first
    assert warm.parsed == []

    helpers = root / "shop" / "orders" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n\ndef added() -> None:\n    pass\n")
    touched = index.build(str(root), Settings())
    after = summarise_all(touched)
    assert touched.parsed == ["shop/orders/helpers.py"]
    assert "added" in after["shop/orders/helpers.py"]["functions"][-1]


def test_no_cache_option_writes_nothing(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    project = index.build(str(root), Settings(cache=False))
    summarise_all(project)
    assert not (root / CACHE_DIR).exists()
    run = run_flake8([root], root, "--fastapi-cache=false")
    assert run.findings and not (root / CACHE_DIR).exists()


def cached_once(tmp_path: Path) -> tuple[Path, index.ProjectIndex, dict]:
    """A copy of CHAINS summarised once, its summaries written (as a run ends)."""
    root = copy_project(CHAINS, tmp_path)
    first = index.build(str(root), Settings())
    expected = summarise_all(first)
    first.cache.flush()
    return root, first, expected


def test_corrupt_or_foreign_cache_entries_are_ignored_and_replaced(tmp_path):
    root, first, expected = cached_once(tmp_path)
    folder = next((root / CACHE_DIR).glob("index-*"))
    (pack,) = folder.glob("pack-*.jsonl")
    contents = [b"", b"{not json", b"[]", b'{"module": 3}', b"\xff\xfe\x00",
                json.dumps({"module": "x", "functions": {"f": 1}}).encode(),
                b"[" * 20_000]
    lines = pack.read_bytes().splitlines()
    assert len(lines) == len(first.files)
    pack.write_bytes(b"".join(
        line.partition(b" ")[0] + b" " + contents[number % len(contents)] + b"\n"
        for number, line in enumerate(lines)))
    again = index.build(str(root), Settings())
    assert summarise_all(again) == expected
    assert sorted(again.parsed) == sorted(again.files)
    again.cache.flush()  # a newer pack: its entries win over the damaged ones
    third = index.build(str(root), Settings())
    assert summarise_all(third) == expected and third.parsed == []


def test_packs_pile_up_to_a_limit_and_prune_keeps_what_is_current(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    target = root / "shop" / "orders" / "helpers.py"
    text = target.read_text()
    folder = None
    for number in range(MAX_PACKS + 3):  # an edit and a run, over and over
        target.write_text(text + f"\nVERSION = {number}\n")
        project = index.build(str(root), Settings())
        summarise_all(project)
        project.cache.flush()
        folder = next((root / CACHE_DIR).glob("index-*"))
        assert len(list(folder.glob("pack-*.jsonl"))) <= MAX_PACKS
    assert not list(folder.glob("*.tmp"))
    cache = project.cache
    # Merging drops nothing: the first run's modules and each edit's version are kept.
    assert cache.stored_count() == len(project.files) + MAX_PACKS + 2
    cache.prune(project.digest(f) for f in project.files)
    assert sorted(cache.entries()) == sorted(project.digest(f) for f in project.files)
    assert len(list(folder.glob("pack-*.jsonl"))) == 1
    fresh = index.build(str(root), Settings())
    assert summarise_all(fresh) == summarise_all(project) and fresh.parsed == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_only_regular_files_are_read_as_packs(tmp_path):
    """A FIFO, a link to an endless device or a folder named like a pack is not one:
    reading it hung the run forever, or (a folder named `pack-99999999-x.jsonl`)
    made every run prune and merge the cache again."""
    root, first, expected = cached_once(tmp_path)
    folder = next((root / CACHE_DIR).glob("index-*"))
    (pack,) = folder.glob("pack-*.jsonl")
    os.mkfifo(folder / "pack-1-fifo.jsonl")
    os.symlink("/dev/zero", folder / "pack-1-zero.jsonl")
    (folder / "pack-99999999-folder.jsonl").mkdir()
    script = textwrap.dedent(f"""
        from fastapi_lint.options import Settings
        from fastapi_lint.project import index
        project = index.build({str(root)!r}, Settings())
        print(project.cache.stored_count(), len(project.cache.entries()))
        for file in project.files:
            project.summary(file)
        print(len(project.parsed))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True,
                         text=True, timeout=20, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    count = len(first.files)
    assert run.stdout.split() == [str(count), str(count), "0"]
    assert pack.exists()  # not merged or pruned again
    assert summarise_all(index.build(str(root), Settings())) == expected


def test_an_unwritable_cache_only_turns_caching_off(tmp_path, caplog):
    root = copy_project(CHAINS, tmp_path)
    (root / CACHE_DIR).write_text("a file where the cache folder should be")
    with caplog.at_level(logging.INFO, logger="fastapi_lint"):
        project = index.build(str(root), Settings())
        summarise_all(project)
        project.cache.flush()
    assert project.cache is not None and not project.cache.writable
    assert "not caching the project index" in caplog.text


def test_other_versions_cache_folders_are_removed(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    stale = root / CACHE_DIR / "index-0-0.0.1-0123456789abcdef"
    stale.mkdir(parents=True)
    (stale / "x.json").write_text("{}")
    summarise_all(index.build(str(root), Settings()))
    assert not stale.exists()
    assert (root / CACHE_DIR / ".gitignore").read_text().strip().endswith("*")


def test_two_processes_writing_the_cache_at_once_leave_valid_entries(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    for number in range(40):  # enough modules for the writers to overlap
        (root / "shop" / f"extra_{number}.py").write_text(
            f"import time\n\n\ndef wait_{number}():\n    time.sleep({number})\n")
    script = ("import sys; from fastapi_lint.project import index; "
              "from fastapi_lint.options import Settings; "
              "p = index.build(sys.argv[1], Settings()); "
              "print(sum(p.summary(f) is not None for f in p.files))")
    writers = [subprocess.Popen([sys.executable, "-c", script, str(root)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
               for _ in range(3)]
    outputs = [writer.communicate(timeout=300) for writer in writers]
    files = len(discover.project_files(str(root)))
    for stdout, stderr in outputs:
        assert stdout.strip() == str(files), stderr
    folder = next((root / CACHE_DIR).glob("index-*"))
    assert not list(folder.glob("*.tmp"))
    cache = SummaryCache(str(root), folder.name)  # each writer wrote at its exit
    assert len(set(cache.entries())) == files
    for digest in cache.entries():
        ModuleSummary.from_json(cache.get(digest))


# -- modules the index cannot read -----------------------------------------------------


def test_a_module_that_does_not_parse_is_skipped_with_a_note(tmp_path, caplog):
    root = copy_project(CHAINS, tmp_path)
    (root / "shop" / "broken.py").write_text("def broken(:\n")
    (root / "shop" / "latin.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (root / "shop" / "deep.py").write_text("x = " + "(" * 5000 + ")" * 5000 + "\n")
    with caplog.at_level(logging.INFO, logger="fastapi_lint"):
        project = index.build(str(root), Settings(cache=False))
        summaries = {f: project.summary(f) for f in project.files}
    assert summaries["shop/broken.py"] is None and summaries["shop/latin.py"] is None
    assert summaries["shop/deep.py"] is None
    assert "skips shop/broken.py: cannot be parsed" in caplog.text
    assert project.blocking_chain(("shop/notify/service.py", "send_now"))
    run = run_flake8([root], root)
    assert "Traceback" not in run.stderr and run.returncode == 1, run.stderr


# -- both front ends -------------------------------------------------------------------


def findings_of(run) -> set:
    return {(str(path), line, col, code, text)
            for path, items in run.findings.items() for line, col, code, text in items}


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_flake8_jobs_one_and_two_agree(project, tmp_path):
    root = copy_project(project, tmp_path)
    one = run_flake8([root], root, "--fastapi-cache=false")
    two = run_flake8([root], root, "--fastapi-cache=false", "--jobs=2")
    assert one.findings and findings_of(one) == findings_of(two)
    warm = run_flake8([root], root, "--jobs=2")
    warm_again = run_flake8([root], root, "--jobs=2")
    assert findings_of(warm) == findings_of(warm_again) == findings_of(one)


PARSES = """\
import sys
from flake8.main import cli
from fastapi_lint.project import index
try:
    cli.main(["--select", "FBP", "--jobs", "1", "--output-file", sys.argv[1], "."])
except SystemExit:
    pass
print(sorted(f for i in index._INDEXES.values() for f in i.parsed))
"""


def test_flake8_warm_run_after_touching_one_file_rereads_that_file(tmp_path):
    root = copy_project(CHAINS, tmp_path)

    def parsed() -> list:
        (tmp_path / "out.txt").unlink(missing_ok=True)  # flake8 appends to it
        result = subprocess.run(
            [sys.executable, "-c", PARSES, str(tmp_path / "out.txt")],
            cwd=root, capture_output=True, text=True, timeout=300)
        assert "Traceback" not in result.stderr, result.stderr
        return ast.literal_eval(result.stdout.strip().splitlines()[-1])

    cold = parsed()
    cold_findings = (tmp_path / "out.txt").read_text()
    assert len(cold) > 3 and "FBP101" in cold_findings
    assert parsed() == []
    assert (tmp_path / "out.txt").read_text() == cold_findings
    mailer = root / "shop" / "notify" / "mailer.py"
    mailer.write_text(mailer.read_text() + "\n# touched\n")
    assert parsed() == ["shop/notify/mailer.py"]


def test_no_index_is_built_when_no_project_rule_is_selected(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    run = run_flake8([root], root, select="FBP100,FBP300")
    assert "Traceback" not in run.stderr
    assert not (root / CACHE_DIR).exists()
    run = run_flake8([root], root, select="FBP101")
    assert any(c == "FBP101" for items in run.findings.values() for *_, c, _ in items)
    assert (root / CACHE_DIR).exists()


def test_without_a_project_root_the_module_own_helpers_are_followed():
    source = textwrap.dedent("""\
        import time


        def pause():
            time.sleep(1)


        async def handler():
            pause()
        """)
    from fastapi_lint.engine import check_tree

    findings = check_tree(ast.parse(source), None, Settings())
    assert [(f.line, f.code) for f in findings] == [(9, "FBP101")]
    assert "`pause -> time.sleep`" in findings[0].message


def test_file_context_builds_the_index_only_when_asked(tmp_path):
    root = copy_project(CHAINS, tmp_path)
    path = root / "shop" / "orders" / "helpers.py"
    context = FileContext(ast.parse(path.read_text()), str(path), Settings(), str(root))
    assert index._INDEXES == {}
    assert context.index is index.for_root(str(root), Settings())
    assert context.index.root == os.path.abspath(root)
    outside = FileContext(ast.parse("x = 1\n"), None, Settings())
    assert outside.index is None


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="no fork here")
def test_a_forked_worker_writes_what_it_adds_and_not_what_its_parent_had(tmp_path):
    """A worker forked from a process holding an index adds to the cache it inherited
    (the command's workers do, after a warm run's changes were summarised): what it
    adds is written when it ends, and what its parent had waiting is written once."""
    cache = SummaryCache(str(tmp_path), "index-fork-0")
    cache.put("a" * 40, {"by": "parent"})
    worker = multiprocessing.get_context("fork").Process(
        target=cache.put, args=("b" * 40, {"by": "worker"}))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    cache.flush()
    stored = SummaryCache(str(tmp_path), "index-fork-0")
    assert stored.stored_count() == 2
    assert stored.get("a" * 40) == {"by": "parent"}
    assert stored.get("b" * 40) == {"by": "worker"}


def test_a_process_keeps_the_indexes_it_used_last(tmp_path):
    """flake8 over several projects holds at most `KEPT` indexes: the one let go
    writes its summaries first, and is rebuilt from them when asked for again."""
    roots = [copy_project(source, tmp_path) for source in PROJECTS]
    built, made = [], []
    for root in roots:  # one project after another, as flake8 checks them
        built.append(index.for_root(str(root), Settings()))
        made.append(summarise_all(built[-1]))
    assert index.for_root(str(roots[2]), Settings()) is built[2]
    assert index.for_root(str(roots[1]), Settings()) is built[1]  # used last now
    assert [key[0] for key in index._INDEXES] == [str(roots[2]), str(roots[1])]
    assert len(index._INDEXES) == index.KEPT == 2
    assert next((roots[0] / CACHE_DIR).glob("index-*/pack-*.jsonl"))  # written
    again = index.for_root(str(roots[0]), Settings())
    assert again is not built[0]
    assert summarise_all(again) == made[0] and again.parsed == []
    assert [key[0] for key in index._INDEXES] == [str(roots[1]), str(roots[0])]


def test_a_process_reads_the_packs_another_writes_meanwhile(tmp_path, monkeypatch):
    """Worker processes checking one project share their summaries as they go: a
    miss looks through the packs written since the last look (at most every
    RESCAN seconds)."""
    reader = SummaryCache(str(tmp_path), "index-share-0")
    writer = SummaryCache(str(tmp_path), "index-share-0")
    assert reader.get("a" * 40) is None  # nothing yet, the folder listed
    writer.put("a" * 40, {"n": 1})
    writer.flush()
    monkeypatch.setattr(cache_module, "RESCAN", 3600.0)
    assert reader.get("a" * 40) is None  # listed a moment ago
    monkeypatch.setattr(cache_module, "RESCAN", 0.0)
    assert reader.get("a" * 40) == {"n": 1}
    assert writer.get("a" * 40) is None  # its own packs: it holds what it wrote


def test_packs_written_along_the_way_are_merged_when_a_process_is_done(
        tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "PACK_BYTES", 100)  # a pack every entry or two
    cache = SummaryCache(str(tmp_path), "index-along-0")
    for number in range(3 * MAX_PACKS):
        cache.put(f"{number:040d}", {"n": number, "pad": "x" * 60})
    folder = tmp_path / CACHE_DIR / "index-along-0"
    assert len(list(folder.glob("pack-*.jsonl"))) > MAX_PACKS  # no merge meanwhile
    cache.flush()
    (merged,) = folder.glob("pack-*.jsonl")
    assert merged.name.startswith(f"pack-{3 * MAX_PACKS}-")
    fresh = SummaryCache(str(tmp_path), "index-along-0")
    assert [fresh.get(f"{n:040d}")["n"] for n in range(3 * MAX_PACKS)] == list(
        range(3 * MAX_PACKS))
