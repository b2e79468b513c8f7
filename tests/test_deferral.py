"""Answers put off until the modules they need are summarised (`deferral`).

The command checks a project in one process with `-j1`; a project rule that needs a
module whose turn has not come waits for the project's last file instead of having the
index parse that module ahead of its turn. With `--jobs N` and the cache on, a worker
hands such an answer to the main process, which settles it from the summaries the
workers cached. The findings must be exactly those of a run that does not wait
(`-j2 --no-cache`, whose workers cannot hand answers over).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clirun import run
from fastapi_lint import runner
from fastapi_lint.deferral import Deferral
from fastapi_lint.options import Settings
from fastapi_lint.project import index as project_index

# Checked in this order (by name), `app/a_routes.py` asks about `app/b_helpers.py`
# and about every route of the project before either of the others has its turn. The
# parenthesised import hides `b_helpers` from the order's look at the imports, so the
# order cannot put it first.
PROJECT = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "0"\n',
    "app/__init__.py": "",
    "app/a_routes.py": (
        "from fastapi import APIRouter\n"
        "from app import (\n"
        "    b_helpers,\n"
        ")\n"
        "\n"
        "router = APIRouter()\n"
        "\n"
        "\n"
        '@router.get("/items/{id}")\n'
        "async def read_item(id: int):\n"
        "    b_helpers.slow()\n"
        '    label = "héllo"; b_helpers.slow()\n'
        "    b_helpers.slow()  # noqa: FBP101\n"
        "    return {}\n"
    ),
    "app/b_helpers.py": (
        "import time\n"
        "\n"
        "\n"
        "async def ping():\n"
        "    return 1\n"
        "\n"
        "\n"
        "def slow():\n"
        "    time.sleep(1)\n"
    ),
    "app/c_routes.py": (
        "from fastapi import APIRouter\n"
        "\n"
        "router = APIRouter()\n"
        "\n"
        "\n"
        '@router.get("/items/{item_id}")\n'
        "async def one(item_id: int):\n"
        "    return {}\n"
        "\n"
        "\n"
        '@router.delete("/items/{item_id}")\n'
        "async def two(item_id: int):\n"
        "    return {}\n"
    ),
}


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    for name, text in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _events(monkeypatch) -> list[tuple[str, str]]:
    """Record each file's turn and each parse the index makes, in order."""
    events: list[tuple[str, str]] = []
    real_job, real_parse = runner.run_job, project_index.ProjectIndex._parse

    def run_job(job, *rest):
        events.append(("turn", Path(job.path).name))
        return real_job(job, *rest)

    def parse(self, file, path, data):
        events.append(("parse", Path(path).name))
        return real_parse(self, file, path, data)

    monkeypatch.setattr(runner, "run_job", run_job)
    monkeypatch.setattr(project_index.ProjectIndex, "_parse", parse)
    return events


def _lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if ": FBP" in line]


def test_answers_wait_for_the_modules_they_need_and_are_the_same(shop, monkeypatch):
    project_index.clear()
    events = _events(monkeypatch)
    waited = run("check", "-j1", "--no-cache", "--select", "FBP101,FBP303", ".",
                 cwd=shop)
    monkeypatch.undo()
    project_index.clear()
    assert [name for kind, name in events if kind == "turn"] == [
        "__init__.py", "a_routes.py", "b_helpers.py", "c_routes.py"]
    turned: set[str] = set()
    for kind, name in events:
        if kind == "turn":
            turned.add(name)
        else:
            assert name in turned, f"{name} was parsed ahead of its turn"
    # `-j2` without the cache: its workers answer at once, parsing ahead.
    not_waited = run("check", "-j2", "--no-cache", "--select", "FBP101,FBP303", ".",
                     cwd=shop)
    project_index.clear()
    assert waited.out == not_waited.out
    found = _lines(waited.out)
    assert found[0] == (
        "app/a_routes.py:9:2: FBP303 path parameter `id` of `/items/{id}` names the "
        "`items` that 2 other routes call `item_id` (e.g. `app/c_routes.py:6`): use "
        "`item_id`")
    assert [line.split(" ")[:2] for line in found[1:]] == [
        ["app/a_routes.py:11:5:", "FBP101"], ["app/a_routes.py:12:22:", "FBP101"]]
    assert "`slow -> time.sleep`" in found[1]


def test_an_answer_put_off_keeps_the_noqa_and_columns_of_its_file(shop):
    """Read while the file is at hand: the `# noqa` line stays silent, and the column
    counts characters (`é` is two bytes: 23 would count bytes)."""
    project_index.clear()
    out = run("check", "-j1", "--no-cache", "--select", "FBP101", ".", cwd=shop).out
    project_index.clear()
    assert [line.split(" ")[0] for line in _lines(out)] == [
        "app/a_routes.py:11:5:", "app/a_routes.py:12:22:"]


def test_a_deferral_knows_which_files_are_still_to_come(tmp_path):
    later = Deferral([str(tmp_path / "a.py"), str(tmp_path / "sub" / ".." / "b.py")])
    assert later.later(str(tmp_path / "b.py"))
    assert not later.turn(str(tmp_path / "b.py"))  # nothing waits for it
    assert not later.later(str(tmp_path / "b.py"))
    later.defer(print, (), [(1, 0, "FBP101")], str(tmp_path), str(tmp_path / "a.py"))
    assert later.turn(str(tmp_path / "a.py"))  # an answer waits for its summary
    assert [item.positions for item in later.take()] == [frozenset({(1, 0, "FBP101")})]
    assert later.take() == []


def test_workers_hand_their_answers_to_the_main_process(shop, monkeypatch):
    """The worker that checks `a_routes.py` has not summarised `b_helpers.py` or
    `c_routes.py`, and a worker that has keeps the summaries until it ends: the
    answers wait for the main process. (`c_routes.py` waits too when the other worker
    checked `a_routes.py`.)"""
    settled: list[str] = []
    real = runner._settle

    def settle(entries):
        settled.extend(Path(job.path).name for job, result in entries
                       for _ in result.put_off)
        return real(entries)

    project_index.clear()
    monkeypatch.setattr(runner, "_settle", settle)
    handed = run("check", "-j2", "--select", "FBP101,FBP303", ".", cwd=shop)
    assert settled[:2] == ["a_routes.py", "a_routes.py"]
    assert set(settled) <= {"a_routes.py", "c_routes.py"}
    settled.clear()
    alone = run("check", "-j2", "--no-cache", "--select", "FBP101,FBP303", ".",
                cwd=shop)
    assert settled == []  # without the cache, the workers answer themselves
    project_index.clear()
    assert handed.code == alone.code == 1
    assert handed.out == alone.out
    assert len(_lines(handed.out)) == 3


def _route_module(path: str, imports: str = "") -> str:
    return (f"from fastapi import APIRouter\n{imports}\nrouter = APIRouter()\n\n\n"
            f'@router.get("{path}")\nasync def one():\n    return {{}}\n')


def test_answers_that_read_the_route_table_wait_for_its_module_without_trying(
        tmp_path, monkeypatch):
    """`a0_routes.py` is the route table's first module and the last checked (it
    imports the others): once `a_routes.py`'s answer stopped there, `b_routes.py`'s
    is put off without reading the table again. Each answer is then worked out once."""
    from fastapi_lint.checks import routes

    for name, text in {
        "pyproject.toml": '[project]\nname = "shop"\nversion = "0"\n',
        "app/__init__.py": "",
        "app/a0_routes.py": _route_module(
            "/items/{item_id}/parts", "from app import a_routes, b_routes\n"),
        "app/a_routes.py": _route_module("/items/{id}"),
        "app/b_routes.py": _route_module("/items/{item_id}"),
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    tried: list[int] = []
    real = routes._path_name_findings

    def path_name_findings(index, found):
        tried.append(found[0].line)
        return real(index, found)

    project_index.clear()
    events = _events(monkeypatch)
    monkeypatch.setattr(routes, "_path_name_findings", path_name_findings)
    waited = run("check", "-j1", "--no-cache", "--select", "FBP303", ".", cwd=tmp_path)
    monkeypatch.undo()
    project_index.clear()
    order = [name for kind, name in events if kind == "turn"]
    assert order.index("a0_routes.py") > max(order.index("a_routes.py"),
                                             order.index("b_routes.py"))
    assert [kind for kind, _ in events].count("parse") == 0
    # Tried on the turns of `a_routes.py` and `a0_routes.py`, then once for each of
    # the two answers put off: `b_routes.py`'s turn did not read the table.
    assert tried == [6, 7, 6, 6]
    alone = run("check", "-j2", "--no-cache", "--select", "FBP303", ".", cwd=tmp_path)
    project_index.clear()
    assert waited.out == alone.out
    assert [line.split(" ")[:2] for line in _lines(waited.out)] == [
        ["app/a_routes.py:6:2:", "FBP303"]]


def test_an_answer_whose_lookup_would_stop_is_put_off_without_trying(shop, monkeypatch):
    """`read_item` calls `b_helpers.slow`, and `b_helpers.py`, which a lookup of that
    path reads first, has its turn later: the answer is tried once, when it settles."""
    from fastapi_lint.checks import blocking

    tried: list[str] = []
    real = blocking._helper_findings

    def helper_findings(index, asked):
        tried.append(asked[0][0])
        return real(index, asked)

    project_index.clear()
    monkeypatch.setattr(blocking, "_helper_findings", helper_findings)
    waited = run("check", "-j1", "--no-cache", "--select", "FBP101", ".", cwd=shop)
    monkeypatch.undo()
    project_index.clear()
    assert tried == ["read_item"]
    assert [line.split(" ")[:2] for line in _lines(waited.out)] == [
        ["app/a_routes.py:11:5:", "FBP101"], ["app/a_routes.py:12:22:", "FBP101"]]


def test_what_a_lookup_reads_first_waits_unless_the_cache_has_it(shop):
    """`waits_for` names the module a lookup would stop at. A worker looks in the
    cache first (another worker may have cached the module); one process need not."""
    helpers = str(shop / "app" / "b_helpers.py")
    paths = ["app.b_helpers.slow", "fastapi.APIRouter"]
    project_index.clear()
    project = project_index.build(str(shop), Settings())
    with project.deferring(lambda path: path == helpers):
        assert project.waits_for(paths, cached=False) == helpers
        assert project.waits_for(paths) == helpers  # nothing cached yet
    assert project.waits_for(paths) is None  # not deferring: nothing waits
    project.summary("app/b_helpers.py")  # parsed, summarised and cached
    project.cache.flush()
    again = project_index.build(str(shop), Settings())
    with again.deferring(lambda path: path == helpers):
        assert again.waits_for(paths, cached=False) == helpers
        assert again.waits_for(paths) is None  # read from the cache
        assert again.waits_for(["app.a_routes.read_item"]) is None  # not waited for
    project_index.clear()
