"""A warm `check` reports exactly what a fresh one does, whatever was edited between.

A small multi-module FastAPI project is written, checked once (its results stored),
then edited step by step; after each step the command runs as a new process twice,
once reusing the stored results and once with `--no-cache`, and both must print the
same. Each edit swaps one file for another version of it: helpers that start or stop
blocking through several modules, re-exports, methods found through base classes,
`Annotated` dependencies in another module, path parameter spellings, router
prefixes, background tasks, custom base models, Alembic migrations, syntax errors,
deleted files, a module in a folder discovery skips. A second test makes random textual
edits (lines added or dropped, names swapped, `async` toggled, blocking calls added or
removed) to the fixture projects.

`FASTAPI_LINT_INCREMENTAL_EXAMPLES` sets how many edit sequences hypothesis tries
(default: a few, so the file runs in well under a minute).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirun import program
from fastapi_lint.project.cache import CACHE_DIR
from harness import FIXTURES

EXAMPLES = int(os.environ.get("FASTAPI_LINT_INCREMENTAL_EXAMPLES", "12"))

PYPROJECT = '[project]\nname = "p"\nversion = "0"\n'
BROKEN = "def broken(:\n    pass\n"

MIGRATION = ("from alembic import op\n{extra}\nrevision = '{rev}'\n"
             "down_revision = {down}\n\n\ndef upgrade():\n"
             "    op.add_column('t', 'c')\n\n\ndef downgrade():\n"
             "    op.drop_column('t', 'c')\n")

# Each file of the project, with the versions an edit can put in its place; the first
# is the starting one, None deletes the file.
VERSIONS: dict[str, list[Optional[str]]] = {
    "pyproject.toml": [
        PYPROJECT,
        PYPROJECT + '\n[tool.fastapi-lint]\nextra-blocking-calls = ["src.deep.leaf"]\n',
        PYPROJECT + "\n# a comment\n",
    ],
    "src/__init__.py": [
        "",
        "from .svc import helper\n",
        "from src.deep import leaf as helper\n",
        "from .svc import mid as helper\n",
    ],
    "src/deep.py": [
        "def leaf():\n    return 1\n",
        "import time\n\n\ndef leaf():\n    time.sleep(1)\n    return 1\n",
        "\n\n\nimport time\n\n\ndef leaf():\n    time.sleep(1)\n    return 1\n",
        "def leaf():\n    with open('x') as handle:\n        return handle.read()\n",
        "async def leaf():\n    return 1\n",
        "from src.deeper import slow as leaf\n",
        "from src.build.gen import slow as leaf\n",
        BROKEN,
        None,
    ],
    "src/deeper.py": [
        "import time\n\n\ndef slow():\n    time.sleep(1)\n\n\n"
        "def fine():\n    return 0\n",
        "def slow():\n    return 0\n",
        "import time\n\n\nclass Slow:\n    def __init__(self):\n"
        "        time.sleep(1)\n",
    ],
    "src/svc.py": [
        # helper -> mid -> leaf; Service.run inherited from Base; job is an async task
        "from src import deep\n\n\ndef mid():\n    return deep.leaf()\n\n\n"
        "def helper():\n    return mid()\n\n\ndef outer():\n    return helper()\n\n\n"
        "class Base:\n    def run(self):\n"
        "        return deep.leaf()\n\n\nclass Service(Base):\n    pass\n\n\n"
        "async def job():\n    return helper()\n",
        # mid no longer reaches leaf
        "from src import deep\n\n\ndef mid():\n    return 0\n\n\n"
        "def helper():\n    return mid()\n\n\ndef outer():\n    return helper()\n\n\n"
        "class Base:\n    def run(self):\n"
        "        return deep.leaf()\n\n\nclass Service(Base):\n    pass\n\n\n"
        "async def job():\n    return helper()\n",
        # Service overrides run; job awaits
        "import asyncio\n\nfrom src import deep\n\n\ndef mid():\n    return deep.leaf()"
        "\n\n\ndef helper():\n    return mid()\n\n\nclass Base:\n    def run(self):\n"
        "        return deep.leaf()\n\n\nclass Service(Base):\n    def run(self):\n"
        "        return 0\n\n\nasync def job():\n    await asyncio.sleep(0)\n"
        "    return helper()\n",
        # helper renamed: its callers reach nothing; job is a plain def
        "from src import deep\n\n\ndef mid():\n    return deep.leaf()\n\n\n"
        "def helper2():\n    return mid()\n\n\nclass Base:\n    def run(self):\n"
        "        return deep.leaf()\n\n\nclass Service(Base):\n    pass\n\n\n"
        "def job():\n    return helper2()\n",
        # Base comes from another module; helper goes through deeper
        "from src import deep, deeper\nfrom src.bases import Base\n\n\ndef mid():\n"
        "    return deeper.fine()\n\n\ndef helper():\n    return deeper.slow()\n\n\n"
        "class Service(Base):\n    pass\n\n\nasync def job():\n    return mid()\n",
        BROKEN,
    ],
    "src/bases.py": [
        "from src import deep\n\n\nclass Base:\n    def run(self):\n        return 0\n",
        "from src import deep\n\n\nclass Base:\n    def run(self):\n"
        "        return deep.leaf()\n",
        "from src.deeper import Slow\n\n\nclass Base:\n    def run(self):\n"
        "        return Slow()\n",
    ],
    "src/deps.py": [
        "from typing import Annotated\n\nfrom fastapi import Depends, Path\n\n\n"
        "def get_item(item_id: int):\n    return item_id\n\n\n"
        "ItemDep = Annotated[int, Depends(get_item)]\n",
        "from typing import Annotated\n\nfrom fastapi import Depends, Path\n\n\n"
        "def get_item(id: int):\n    return id\n\n\n"
        "ItemDep = Annotated[int, Depends(get_item)]\n",
        "from typing import Annotated\n\nfrom fastapi import Depends, Path\n\n\n"
        "ItemDep = Annotated[int, Path(alias='item_id')]\n",
        "from typing import Annotated\n\nfrom fastapi import Depends, Path\n\n\n"
        "ItemDep = Annotated[int, Path(alias='other')]\n",
        "from typing import Annotated\n\nfrom fastapi import Depends\n\n\n"
        "class Query:\n    def __init__(self, item_id: int):\n"
        "        self.item_id = item_id"
        "\n\n\nItemDep = Annotated[Query, Depends(Query)]\n",
        "from typing import Annotated\n\nfrom fastapi import Depends\n\n\n"
        "class Query:\n    def __init__(self, other: int):\n        self.other = other"
        "\n\n\nItemDep = Annotated[Query, Depends(Query)]\n",
        "from src.moredeps import ItemDep\n",
        BROKEN,
    ],
    "src/moredeps.py": [
        "from typing import Annotated\n\nfrom fastapi import Depends\n\n\n"
        "def get_item(item_id: int):\n    return item_id\n\n\n"
        "ItemDep = Annotated[int, Depends(get_item)]\n",
        "from typing import Annotated\n\nfrom fastapi import Depends\n\n\n"
        "def get_item(other: int):\n    return other\n\n\n"
        "ItemDep = Annotated[int, Depends(get_item)]\n",
    ],
    "src/models.py": [
        "from pydantic import BaseModel\n\n\nclass CustomModel(BaseModel):\n    pass\n",
        "from pydantic import BaseModel\n\n\nclass CustomModel(BaseModel):\n"
        "    model_config = {'frozen': True}\n",
        "class CustomModel:\n    pass\n",
        None,
    ],
    "src/main.py": [
        "from fastapi import FastAPI\n\nfrom src.api import api\n"
        "from src.items.router import router as items_router\n\napp = FastAPI()\n"
        "app.include_router(items_router)\napp.include_router(api, prefix='/v1')\n",
        "from fastapi import FastAPI\n\nfrom src.api import api\n"
        "from src.items.router import router as items_router\n\napp = FastAPI()\n"
        "app.include_router(items_router)\napp.include_router(api, prefix='/items')\n",
        "from fastapi import FastAPI\n\nfrom src.api import api\n\napp = FastAPI()\n"
        "app.include_router(api)\n",
    ],
    "src/api.py": [
        "from fastapi import APIRouter\n\nfrom src.users.router import router\n\n"
        "api = APIRouter()\napi.include_router(router, prefix='/users')\n",
        "from fastapi import APIRouter\n\nfrom src.users.router import router\n\n"
        "api = APIRouter()\napi.include_router(router, prefix='/items')\n",
        "from fastapi import APIRouter\n\nfrom src.users.router import router\n\n"
        "api = APIRouter()\napi.include_router(router)\n",
    ],
    "src/items/__init__.py": [""],
    "src/items/schemas.py": [
        "from pydantic import BaseModel\n\n\n"
        "class ItemOut(BaseModel):\n    name: str\n",
        "from src.models import CustomModel\n\n\nclass ItemOut(CustomModel):\n"
        "    name: str\n",
    ],
    "src/items/service.py": [
        "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    name: str\n",
        "from src.models import CustomModel\n\n\nclass Item(CustomModel):\n"
        "    name: str\n",
        "class Item:\n    name: str\n",
        "from src.items.schemas import ItemOut as Item\n",
    ],
    "src/items/router.py": [
        "from fastapi import APIRouter, BackgroundTasks\n\nfrom src import svc\n"
        "from src.deps import ItemDep\nfrom src.items import service\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/items/{item_id}', status_code=200)\n"
        "async def read_item(item: ItemDep, q: int = 0) -> service.Item:\n"
        "    return svc.helper()\n\n\n"
        "@router.post('/items/{item_id}/run', status_code=200)\n"
        "async def run_item(item_id: int, tasks: BackgroundTasks) -> dict:\n"
        "    tasks.add_task(svc.job)\n    return {'n': svc.Service().run()}\n",
        "from fastapi import APIRouter, BackgroundTasks\n\nfrom src import svc\n"
        "from src.deps import ItemDep\nfrom src.items import service\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/items/{id}', status_code=200)\n"
        "async def read_item(item: ItemDep, q: int = 0) -> dict:\n"
        "    return svc.mid()\n\n\n"
        "@router.post('/items/{id}/run', status_code=200)\n"
        "async def run_item(id: int, tasks: BackgroundTasks) -> service.Item:\n"
        "    tasks.add_task(svc.job)\n    return {'n': svc.Service().run()}\n",
        "from fastapi import APIRouter\n\nimport src\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/items/{item_id}', status_code=200)\n"
        "async def read_item(item_id: int) -> dict:\n    return src.helper()\n",
        BROKEN,
    ],
    "src/users/__init__.py": [""],
    "src/users/router.py": [
        "from fastapi import APIRouter\n\nfrom src import svc\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/{user_id}', status_code=200)\n"
        "async def user(user_id: int) -> dict:\n    return {'n': svc.outer()}\n\n\n"
        "@router.get('/items/{itemId}/owner', status_code=200)\n"
        "async def owner(itemId: int) -> dict:\n    return {}\n",
        "from fastapi import APIRouter\n\nfrom src import helper\n"
        "from src.bases import Base"
        "\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/{user_id}', status_code=200)\n"
        "async def user(user_id: int) -> dict:\n"
        "    return {'n': helper(), 'm': Base().run()}\n",
        "from fastapi import APIRouter\n\nfrom src.svc import helper\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/{user_id}', status_code=200)\n"
        "async def user(user_id: int) -> dict:\n    return {'n': helper()}\n",
        "from fastapi import APIRouter\n\nfrom src.svc import Service\n\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/{uid}', status_code=200)\n"
        "async def user(uid: int) -> dict:\n    return {'n': Service().run()}\n",
    ],
    # A folder discovery skips: checked only when named on the command line.
    "src/build/__init__.py": [""],
    "src/build/gen.py": [
        "import time\n\n\ndef slow():\n    time.sleep(1)\n\n\n"
        "async def other():\n    return slow()\n",
        "def slow():\n    return 1\n\n\nasync def other():\n    return slow()\n",
    ],
    "alembic.ini": [
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "file_template = %%(rev)s_%%(slug)s\n",
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "file_template = %%(year)d_%%(slug)s\n",
        None,
    ],
    "migrations/env.py": ["from alembic import context\n"],
    "migrations/versions/aaa_init.py": [
        MIGRATION.format(rev="aaa", down=None, extra=""),
        MIGRATION.format(rev="aaa", down=None, extra="").replace(
            "    op.drop_column('t', 'c')\n", "    pass\n"),
        MIGRATION.format(rev="aaa", down=None,
                         extra="from src.items.service import Item\n"),
        None,
    ],
    "migrations/versions/bbb_next.py": [
        MIGRATION.format(rev="bbb", down="'aaa'", extra=""),
        MIGRATION.format(rev="bbb", down="'zzz'", extra=""),
        MIGRATION.format(rev="ccc", down="'aaa'", extra=""),
    ],
}

# What a run is asked: the arguments before the paths, and the paths.
RUNS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("-j1",), (".",)),
    (("-j2",), (".",)),
    (("-j1", "--select", "FBP101,FBP401"), (".",)),
    (("-j1", "--ignore", "FBP303,FBP302"), (".",)),
    (("-j1",), ("src/items/router.py",)),
    (("-j1",), ("src/users", "src/svc.py")),
    (("-j1",), ("src/build/gen.py", ".")),
    (("-j2",), ("src/build/gen.py", ".")),
    (("-j1",), ("migrations", "src/deep.py")),
]


def write(root: Path, file: str, text: Optional[str]) -> None:
    path = root / file
    if text is None:
        if path.exists():
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_project(root: Path) -> None:
    for file, versions in VERSIONS.items():
        write(root, file, versions[0])


def compare(root: Path, options: tuple[str, ...], paths: tuple[str, ...],
            history: str) -> None:
    """Run warm, then fresh; the same report and status, or a failure naming why."""
    warm = program("check", *options, *paths, cwd=root)
    stored = root / CACHE_DIR / "results.json"
    kept = stored.read_bytes() if stored.exists() else None
    fresh = program("check", "--no-cache", *options, *paths, cwd=root)
    if kept is not None:  # the fresh run must not change what the next one reuses
        stored.write_bytes(kept)
    assert "internal error" not in warm.err + fresh.err, warm.err + fresh.err
    assert (warm.code, warm.out) == (fresh.code, fresh.out), (
        f"after {history}\nwarm:\n{warm.out}\nfresh:\n{fresh.out}")


EDITS = st.sampled_from([(file, number) for file, versions in VERSIONS.items()
                         for number in range(len(versions))])
STEPS = st.lists(st.tuples(EDITS, st.integers(0, len(RUNS) - 1)), min_size=1,
                 max_size=6)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_warm_runs_report_what_fresh_runs_do(steps):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        make_project(root)
        program("check", "-j1", ".", cwd=root)  # results to start from
        history = []
        for (file, number), run in steps:
            write(root, file, VERSIONS[file][number])
            options, paths = RUNS[run]
            history.append(f"{file} v{number}, check {' '.join(options + paths)}")
            compare(root, options, paths, "; ".join(history))


# -- each defect found, on its own ------------------------------------------------


def play(tmp_path: Path, steps: list[tuple[dict[str, Optional[str]], tuple]]) -> None:
    """Write the project, check it, then apply each step's files and compare runs."""
    root = tmp_path / "project"
    make_project(root)
    program("check", "-j1", ".", cwd=root)
    for number, (files, run) in enumerate(steps):
        for file, text in files.items():
            write(root, file, text)
        options, paths = run
        compare(root, options, paths, f"step {number}")


def version(file: str, number: int) -> dict[str, Optional[str]]:
    return {file: VERSIONS[file][number]}


def test_a_chain_through_a_helper_solved_before(tmp_path):
    root = tmp_path / "p"
    write(root, "pyproject.toml", PYPROJECT)
    write(root, "app/__init__.py", "")
    write(root, "app/deep.py", "def b():\n    return 1\n")
    write(root, "app/svc.py", "from app import deep\n\n\ndef a():\n    return deep.b()"
          "\n\n\ndef c():\n    return a()\n")
    route = ("from fastapi import APIRouter\n\nfrom app import svc\n\n"
             "router = APIRouter()\n\n\n@router.get('/{n}', status_code=200)\n"
             "async def e{n}() -> dict:\n    return svc.{f}()\n")
    write(root, "app/r1.py", route.format(n=1, f="a"))  # checked first: solves a, b
    write(root, "app/r2.py", route.format(n=2, f="c"))  # c -> a, answered already
    program("check", "-j1", ".", cwd=root)
    write(root, "app/deep.py", "import time\n\n\ndef b():\n    time.sleep(1)\n")
    warm = program("check", "-j1", ".", cwd=root)
    fresh = program("check", "--no-cache", "-j1", ".", cwd=root)
    assert "`c()` in `async def e2`" in fresh.out
    assert warm.out == fresh.out


SLOW = ("import time\n\n\ndef slow():\n    time.sleep(1)\n\n\n"
        "async def other():\n    return 1\n")


def skipped_folder_project(root: Path) -> list[str]:
    """A project whose code imports a module in a folder discovery skips (`build/`),
    and the paths that name that module on the command line; the paths to check."""
    write(root, "pyproject.toml", PYPROJECT)
    write(root, "src/__init__.py", "")
    write(root, "src/build/__init__.py", "")
    write(root, "src/build/gen.py", SLOW)
    for number in range(3):
        write(root, f"src/z{number}.py", "from src.build import gen\n\n\n"
              f"async def f{number}():\n    return gen.slow()\n")
    return ["src/build/gen.py", "src/build/__init__.py", "src"]


def test_a_file_outside_the_project_listing_is_seen_by_itself_only(tmp_path):
    # Named on the command line, `src/build/gen.py` is checked though discovery skips
    # `build/`; which other files saw it depended on which process checked it first.
    root = tmp_path / "project"
    paths = skipped_folder_project(root)
    one = program("check", "--no-cache", "-j1", *paths, cwd=root)
    two = program("check", "--no-cache", "-j2", *paths, cwd=root)
    assert one.out == two.out
    assert "FBP101" not in one.out  # `src.build.gen` is not a module of the project


def test_an_edit_outside_the_project_listing(tmp_path):
    root = tmp_path / "project"
    paths = skipped_folder_project(root)
    program("check", "-j1", *paths, cwd=root)
    write(root, "src/build/gen.py", SLOW.replace("time.sleep(1)", "return 1"))
    compare(root, ("-j1",), tuple(paths), "an edit of src/build/gen.py")


SPACED = ("from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
          "@ router.get('/items/{id}', status_code=200)\n"
          "def one(id: int) -> dict:\n    return {}\n\n\n"
          "@router .get('/items/{id}/more', status_code=200)\n"
          "def two(id: int) -> dict:\n    return {}\n")
OTHER = ("from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
         "@router.get('/items/{item_id}/other', status_code=200)\n"
         "def three(item_id: int) -> dict:\n    return {}\n")


def test_routes_spelled_with_spaces_count_whichever_process_reads_them(tmp_path):
    # `@ router.get(` is a route: whether the project's routes held it depended on
    # whether the process had read `a.py` already (checked it, or not: -j2, reuse).
    root = tmp_path / "project"
    write(root, "pyproject.toml", PYPROJECT)
    write(root, "app/__init__.py", "")
    write(root, "app/a.py", SPACED)
    write(root, "app/b.py", OTHER)
    one = program("check", "--no-cache", "-j1", ".", cwd=root)
    two = program("check", "--no-cache", "-j2", ".", cwd=root)
    assert one.out == two.out
    assert "FBP303 path parameter `item_id`" in one.out
    program("check", "-j1", ".", cwd=root)
    write(root, "app/b.py", OTHER + "\n")
    compare(root, ("-j1",), (".",), "an edit of app/b.py")


# -- random edits of the fixture projects -------------------------------------------

PROJECTS = ("chains", "shop", "placement", "base_model", "alembic_app", "resources")


def mutate(text: str, kind: str, number: int, words: tuple[str, str]) -> str:
    """One edit of a module's text; `number` picks where."""
    lines = text.splitlines(keepends=True) or ["\n"]
    at = number % len(lines)
    if kind == "blank":
        lines.insert(at, "\n")
    elif kind == "drop":
        del lines[at]
    elif kind == "rename":
        return text.replace(words[0], words[1])
    elif kind == "async":
        defs = [i for i, line in enumerate(lines) if line.lstrip().startswith(
            ("def ", "async def "))]
        if defs:
            i = defs[number % len(defs)]
            line = lines[i]
            lines[i] = (line.replace("async def ", "def ", 1) if "async def " in line
                        else line.replace("def ", "async def ", 1))
    elif kind == "block":
        returns = [i for i, line in enumerate(lines)
                   if line.lstrip().startswith("return")]
        if returns:
            i = returns[number % len(returns)]
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines.insert(i, f"{indent}open('blocking').close()\n")
    elif kind == "unblock":
        blocking = [i for i, line in enumerate(lines)
                    if any(word in line for word in
                           ("sleep(", "open(", "read_text(", "SMTP"))]
        if blocking:
            i = blocking[number % len(blocking)]
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = f"{indent}pass\n"
    return "".join(lines)


def identifiers(root: Path) -> list[str]:
    """Names defined in the project (functions, classes) and path parameters."""
    import re

    found = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r"(?:def|class) (\w+)", text))
        found.update(re.findall(r"\{(\w+)\}", text))
    return sorted(found)


MUTATIONS = st.lists(st.tuples(
    st.sampled_from(("blank", "drop", "rename", "async", "block", "unblock")),
    st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6),
    st.integers(0, 10**6), st.sampled_from(("-j1", "-j2"))), min_size=1, max_size=5)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(project=st.sampled_from(PROJECTS), edits=MUTATIONS)
def test_random_edits_of_fixture_projects(project, edits):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / project
        shutil.copytree(FIXTURES / "projects" / project, root,
                        ignore=shutil.ignore_patterns(CACHE_DIR, "__pycache__"))
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
        names = identifiers(root)
        program("check", "-j1", ".", cwd=root)
        history = []
        for kind, which, where, old, new, jobs in edits:
            file = files[which % len(files)]
            path = root / file
            words = (names[old % len(names)], names[new % len(names)])
            path.write_text(mutate(path.read_text(encoding="utf-8"), kind, where,
                                   words), encoding="utf-8")
            history.append(f"{kind} {file} at {where} {words}, check {jobs}")
            compare(root, (jobs,), (".",), "; ".join(history))


@pytest.mark.parametrize("made", [".mypy_cache/", ".pytest_cache/", "notes.md",
                                  "src/.router.py.swp", "src/items/README"])
def test_files_no_check_reads_leave_the_results_reusable(tmp_path, monkeypatch, made):
    # Running mypy or pytest, or an editor's swap file, changes no finding: nothing a
    # check reads of the layout (modules, packages, configurations) changed.
    from test_results import checked_files

    root = tmp_path / "project"
    make_project(root)
    checked_files(root, monkeypatch)
    target = root / made
    if made.endswith("/"):
        target.mkdir()
    else:
        target.write_text("x\n")
    checked, out = checked_files(root, monkeypatch)
    assert checked == []
    compare(root, ("-j1",), (".",), f"{made} made")


def test_a_new_folder_a_package_could_be_still_counts(tmp_path, monkeypatch):
    from test_results import checked_files

    root = tmp_path / "project"
    make_project(root)
    checked_files(root, monkeypatch)
    (root / "src" / "orders" / "router").mkdir(parents=True)  # a domain package now
    checked, _ = checked_files(root, monkeypatch)
    assert "src/users/router.py" in checked
    compare(root, ("-j1",), (".",), "src/orders/router/ made")
