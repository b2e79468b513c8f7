"""How fast fastapi-lint is, beside the parse floor, flake8 and two flake8 plugins.

    python benchmarks/run.py [--corpus DIR] [--runs N] [--quick] [--skip WHAT,...]

Fetches the real apps with `../shared/corpus/fetch.sh DIR` (relative to the repository
root) when DIR lacks them, copies their Python files to a scratch folder (so caches and
edits never touch the corpus), generates projects of many domain packages for the
growth curve, and prints one table of medians over N rounds. Every round runs every
measurement once, in a fresh process each, so a slow spell of a noisy machine hits all
of them alike and the ratios hold. Peak memory is the largest resident set of the
process measured (its worker processes included), from `wait4`.

Measured: the floor (read every file and `ast.parse` it, one process), and the floor
with one `ast.walk` over every node (the least any Python-level look at the whole tree
costs); flake8
`--select E,W,F -j1` with only flake8's own plugins loaded, then with fastapi-lint,
flake8-async and flake8-bugbear each added (`flake8_only.py`; a plugin that is not
installed is skipped, and the table says so); `fastapi-lint check` cold (cache
deleted), warm (nothing changed) and warm with one file edited, at `--jobs` 1 and 2; and
the floor and a cold `fastapi-lint check -j1` on generated projects of each size.

`--quick` is for development: one app, one round, small generated projects.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = REPO.parent / "corpus"
DEFAULT_FETCH = REPO.parent / "shared" / "corpus" / "fetch.sh"
QUICK_APP = "open-webui"
SIZES = (1000, 10000, 50000)
QUICK_SIZES = (200, 1000)
# Folders no linter here reads: copying them would only make the tools disagree.
SKIP_DIRS = frozenset(
    (".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".eggs", ".venv", "venv",
     "build", "dist", "node_modules", "site-packages", "__pypackages__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".fastapi_lint_cache")
)
CACHE_DIR = ".fastapi_lint_cache"
PLUGINS = (  # (column, distribution, code prefix)
    ("FBP", "fastapi-lint", "FBP"),
    ("ASYNC", "flake8-async", "ASYNC"),
    ("B", "flake8-bugbear", "B"),
)
SKIPPABLE = ("flake8", "async", "bugbear", "j2", "growth")
SKIP_NAMES = {"ASYNC": "async", "B": "bugbear"}


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# -- the corpus and the scratch copy ------------------------------------------------

def ensure_corpus(corpus: Path, apps: Optional[list[str]], fetch: Path) -> list[str]:
    """The app folders to measure, fetching the corpus first when any is missing."""
    present = _apps_in(corpus)
    if apps:
        missing: Optional[list[str]] = [a for a in apps if a not in present]
    else:
        missing = [] if present else None  # None: fetch every app
    if missing is None or missing:
        if not fetch.is_file():
            raise SystemExit(f"the corpus is not in {corpus} and {fetch} is missing")
        log(f"fetching the corpus into {corpus} with {fetch} ...")
        subprocess.run(["bash", str(fetch), str(corpus), *(missing or [])], check=True,
                       stdout=sys.stderr)
        present = _apps_in(corpus)
    chosen = apps or present
    if not chosen:
        raise SystemExit(f"no apps in {corpus}")
    return chosen


def _apps_in(corpus: Path) -> list[str]:
    if not corpus.is_dir():
        return []
    return sorted(p.name for p in corpus.iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def copy_python(source: Path, target: Path) -> list[Path]:
    """Copy the `*.py` files under `source` to `target`; the copies, sorted."""
    copied = []
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                         and not d.endswith(".egg-info")
                         and not os.path.isfile(os.path.join(folder, d, "pyvenv.cfg")))
        relative = Path(folder).relative_to(source)
        for name in sorted(names):
            if name.endswith(".py") and os.path.isfile(os.path.join(folder, name)):
                destination = target / relative / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(os.path.join(folder, name), destination)
                copied.append(destination)
    return copied


def write_pyproject(root: Path, name: str) -> None:
    """Make `root` a project of its own, as a real checkout would be."""
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n',
                                         encoding="utf-8")


def count_lines(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            total += handle.read().count(b"\n")
    return total


def pick_edited(paths: list[Path]) -> Path:
    """The file the "one file changed" runs edit: a mid-sized module with routes."""
    with_routes = []
    for path in paths:
        data = path.read_bytes()
        if b"APIRouter" in data and b"@router." in data:
            with_routes.append((len(data), str(path), path))
    pool = sorted(with_routes) or sorted((p.stat().st_size, str(p), p) for p in paths)
    return pool[len(pool) // 2][2]


# -- generated projects for the growth curve ----------------------------------------

PER_DOMAIN = ("__init__", "router", "schemas", "service", "dependencies", "models",
              "constants", "exceptions", "config", "utils")


def generate_project(root: Path, files: int) -> list[Path]:
    """A project in the guide's layout with about `files` modules (10 per domain)."""
    domains = max(1, (files - 2) // len(PER_DOMAIN))
    names = [f"d{i:05d}" for i in range(domains)]
    app = root / "src"
    app.mkdir(parents=True)
    write_pyproject(root, f"generated-{files}")
    written = []

    def write(path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write(app / "__init__.py", "")
    main = ["from fastapi import FastAPI", ""]
    main += [f"from src.{n}.router import router as {n}_router" for n in names]
    main += ["", "app = FastAPI()", ""]
    main += [f"app.include_router({n}_router)" for n in names]
    write(app / "main.py", "\n".join(main) + "\n")
    for i, name in enumerate(names):
        other = names[(i + 1) % domains]
        folder = app / name
        folder.mkdir()
        for module in PER_DOMAIN:
            write(folder / f"{module}.py", _module_text(module, name, other, i))
    return written


def _module_text(module: str, name: str, other: str, i: int) -> str:
    # Every tenth domain breaks a rule or two, so the checks have something to find.
    odd = i % 10 == 0
    if module == "__init__":
        return f'"""The {name} domain."""\n'
    if module == "router":
        cross = (f"from src.{other}.constants import PAGE_SIZE" if odd else
                 f"from src.{other} import constants as {other}_constants")
        size = "PAGE_SIZE" if odd else f"{other}_constants.PAGE_SIZE"
        notify = ("asyncio.create_task(service.notify(item))" if odd else
                  "tasks.add_task(service.notify, item)")
        return f'''"""Routes of {name}."""

import asyncio

from fastapi import APIRouter, BackgroundTasks, Depends, status

{cross}
from src.{name} import schemas, service
from src.{name}.dependencies import valid_item

router = APIRouter(prefix="/{name}", tags=["{name}"])


@router.get("/items/{{item_id}}", response_model=schemas.Item)
async def read_item(item: schemas.Item = Depends(valid_item)) -> schemas.Item:
    return item


@router.get("/items", response_model=list[schemas.Item])
async def list_items(limit: int = {size}) -> list[schemas.Item]:
    return await service.list_items(limit)


@router.post("/items", status_code=status.HTTP_201_CREATED)
async def create_item(body: schemas.ItemCreate, tasks: BackgroundTasks) -> schemas.Item:
    item = service.create_item(body)
    {notify}
    return item


@router.delete("/items/{{item_id}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item: schemas.Item = Depends(valid_item)) -> None:
    service.delete_item(item)


@router.get("/report")
async def report():
    return service.report()
'''
    if module == "schemas":
        return f'''"""Request and response bodies of {name}."""

from pydantic import BaseModel, Field


class ItemBase(BaseModel):
    name: str = Field(max_length=100)
    description: str | None = None


class ItemCreate(ItemBase):
    pass


class Item(ItemBase):
    id: int
    owner: str
'''
    if module == "service":
        return f'''"""Business logic of {name}."""

import time

import requests

from src.{name} import models
from src.{name}.constants import PAGE_SIZE
from src.{name}.exceptions import ItemNotFound


async def list_items(limit: int = PAGE_SIZE) -> list:
    return [models.Item(i, f"item {{i}}") for i in range(limit)]


def create_item(body) -> "models.Item":
    {"time.sleep(0.01)" if odd else "pass"}
    return models.Item(1, body.name)


def get_item(item_id: int) -> "models.Item":
    if item_id < 0:
        raise ItemNotFound(item_id)
    return models.Item(item_id, "item")


def delete_item(item) -> None:
    models.STORE.pop(item.id, None)


async def notify(item) -> None:
    return None


def report() -> dict:
    return requests.get("https://example.invalid/{name}", timeout=5).json()
'''
    if module == "dependencies":
        return f'''"""Dependencies of {name}'s routes."""

from src.{name} import service
from src.{name}.schemas import Item


async def valid_item(item_id: int) -> Item:
    return service.get_item(item_id)
'''
    if module == "models":
        return f'''"""Storage of {name}."""

import dataclasses

STORE: dict = {{}}


@dataclasses.dataclass
class Item:
    id: int
    name: str
    owner: str = "{name}"
'''
    if module == "constants":
        return (f'"""Constants of {name}."""\n\nPAGE_SIZE = {10 + i % 90}\n'
                f'PREFIX = "/{name}"\n')
    if module == "exceptions":
        return f'''"""Errors of {name}."""

from fastapi import HTTPException


class ItemNotFound(HTTPException):
    def __init__(self, item_id: int) -> None:
        super().__init__(status_code=404, detail=f"no item {{item_id}}")
'''
    if module == "config":
        return f'''"""Settings of {name}."""

import os

TIMEOUT = float(os.environ.get("{name.upper()}_TIMEOUT", "5"))
'''
    return f'''"""Helpers of {name}."""


def slug(text: str) -> str:
    return "-".join(text.lower().split())
'''


# -- measuring one run --------------------------------------------------------------

@dataclasses.dataclass
class Sample:
    """One run of one measurement."""

    wall: float  # seconds
    cpu: float  # user + system seconds, worker processes included
    peak_kib: int  # largest resident set of the process or any worker
    output_lines: int


class Failed(Exception):
    """A measured command exited with an unexpected status."""


def measure(command: list[str], cwd: Path, scratch: Path) -> Sample:
    """Run `command` in a fresh process: its wall time, CPU time and peak memory."""
    out_path, err_path = scratch / "last.out", scratch / "last.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    if code not in (0, 1):
        tail = err_path.read_text(errors="replace").strip().splitlines()[-5:]
        shown = " ".join(command[:6])
        raise Failed(f"exit {code}: {shown} ...\n  " + "\n  ".join(tail))
    peak = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    with open(out_path, "rb") as handle:
        chunks = iter(lambda: handle.read(1 << 20), b"")
        lines = sum(chunk.count(b"\n") for chunk in chunks)
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak, lines)


@dataclasses.dataclass
class Row:
    """One line of the table: a command, where it runs, and what to do first."""

    key: str
    label: str
    command: list[str]
    cwd: Path
    files: int
    before: Optional[Callable[[], None]] = None
    runs: Optional[int] = None  # at most this many rounds (None: every round)
    samples: list[Sample] = dataclasses.field(default_factory=list)
    error: Optional[str] = None

    def median(self, field: str) -> float:
        return statistics.median(getattr(s, field) for s in self.samples)


# -- the table ----------------------------------------------------------------------

def installed(distribution: str) -> bool:
    from importlib import metadata
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def remove_caches(top: Path) -> None:
    for folder, dirs, _ in os.walk(top):
        if CACHE_DIR in dirs:
            shutil.rmtree(os.path.join(folder, CACHE_DIR), ignore_errors=True)
            dirs.remove(CACHE_DIR)
        if Path(folder) != top:
            dirs[:] = []  # caches sit in the project roots: the top and one level down


class Editor:
    """Edits one file between runs, always from its original text, and restores it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.original = path.read_bytes()
        self.count = 0

    def edit(self) -> None:
        self.count += 1
        extra = (f"\n\ndef _benchmark_edit_{self.count}(value):\n"
                 f"    return value + {self.count}\n").encode()
        self.path.write_bytes(self.original + extra)

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def build_rows(args, scratch: Path, corpus_copy: Path, apps: list[str],
               file_list: Path, files: int, editor: Editor,
               growth: list[tuple[int, Path, Path]]) -> tuple[list[Row], list[str]]:
    py = sys.executable
    notes = []
    rows = [Row("floor", "floor: read + `ast.parse`, one process",
                [py, str(HERE / "floor.py"), str(file_list)], corpus_copy, files),
            # For scale: one Python-level visit of every node, and nothing else.
            Row("walk", "floor + one `ast.walk` over every node, one process",
                [py, str(HERE / "floor.py"), str(file_list), "--walk"], corpus_copy,
                files)]
    flake8 = [py, str(HERE / "flake8_only.py")]
    flake8_args = ["--isolated", "-j1", *apps]
    if "flake8" not in args.skip:
        rows.append(Row("flake8", "flake8 `--select E,W,F -j1`",
                        [*flake8, "--", "--select", "E,W,F", *flake8_args],
                        corpus_copy, files, runs=args.flake8_runs))
        for column, distribution, prefix in PLUGINS:
            if SKIP_NAMES.get(column) in args.skip:
                notes.append(f"{distribution} was left out (`--skip`)")
                continue
            if not installed(distribution):
                notes.append(f"{distribution} is not installed: its row is skipped")
                continue
            cold = column == "FBP"  # the project index is built from nothing
            rows.append(Row(f"flake8+{column}",
                            f"flake8 `--select E,W,F,{prefix} -j1` ({distribution})"
                            + (", cold" if cold else ""),
                            [*flake8, distribution, "--", "--select", f"E,W,F,{prefix}",
                             *flake8_args], corpus_copy, files,
                            before=(lambda: remove_caches(corpus_copy)) if cold
                            else None, runs=args.flake8_runs))
            if cold:  # the next run, as a pre-commit hook meets it: summaries cached
                rows.append(Row("flake8+FBP-warm",
                                f"flake8 `--select E,W,F,{prefix} -j1` ({distribution})"
                                ", summaries cached",
                                [*flake8, distribution, "--", "--select",
                                 f"E,W,F,{prefix}", *flake8_args], corpus_copy, files,
                                runs=args.flake8_runs))
    lint = [py, "-m", "fastapi_lint.cli", "check", "--exit-zero"]

    def cold() -> None:
        editor.restore()
        remove_caches(corpus_copy)

    for jobs in (1, 2):
        if jobs == 2 and "j2" in args.skip:
            continue
        command = [*lint, f"-j{jobs}", *apps]
        rows.append(Row(f"cold-j{jobs}", f"`fastapi-lint check -j{jobs}`, cold",
                        command, corpus_copy, files, before=cold))
        rows.append(Row(f"warm-j{jobs}", f"`fastapi-lint check -j{jobs}`, warm",
                        command, corpus_copy, files))
        rows.append(Row(f"edit-j{jobs}",
                        f"`fastapi-lint check -j{jobs}`, warm, one file changed",
                        command, corpus_copy, files, before=editor.edit))
    for size, root, listing in growth:
        count = sum(1 for _ in open(listing, encoding="utf-8"))
        rows.append(Row(f"g{size}-floor", f"generated, {size:,} files: floor",
                        [py, str(HERE / "floor.py"), str(listing)], root, count))
        rows.append(Row(f"g{size}-cold",
                        f"generated, {size:,} files: `fastapi-lint check -j1`, cold",
                        [*lint, "-j1", "src"], root, count,
                        before=lambda root=root: remove_caches(root)))
    return rows, notes


def run_rounds(rows: list[Row], runs: int, scratch: Path) -> None:
    for round_number in range(1, runs + 1):
        for row in rows:
            if row.error or (row.runs is not None and round_number > row.runs):
                continue
            if row.before is not None:
                row.before()
            try:
                sample = measure(row.command, row.cwd, scratch)
            except Failed as error:
                row.error = str(error)
                log(f"  {row.key}: FAILED {error}")
                continue
            row.samples.append(sample)
            log(f"  round {round_number}/{runs} {row.key:<14} {sample.wall:8.2f} s "
                f"{sample.peak_kib / 1024:7.0f} MiB  {sample.output_lines} lines out")


def render(rows: list[Row], notes: list[str], header: str, clock: str) -> str:
    by_key = {row.key: row for row in rows if row.samples}
    floor = by_key["floor"].median(clock) if "floor" in by_key else None
    lines = [header, "",
             "| measurement | files | CPU s | wall s | × floor | ms / file "
             "| peak MiB | lines out |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        if not row.samples:
            lines.append(f"| {row.label} | {row.files:,} | failed | | | | | |")
            continue
        spent = row.median(clock)
        base = floor
        if row.key.startswith("g"):
            floor_row = by_key.get(row.key.split("-")[0] + "-floor")
            base = floor_row.median(clock) if floor_row else None
        ratio = f"{spent / base:.2f}" if base else ""
        lines.append(
            f"| {row.label} | {row.files:,} | {row.median('cpu'):.2f} "
            f"| {row.median('wall'):.2f} | {ratio} "
            f"| {1000 * spent / max(row.files, 1):.2f} "
            f"| {row.median('peak_kib') / 1024:.0f} "
            f"| {int(row.median('output_lines')):,} |")
    lines += ["", f"Ratios and ms / file are of {'CPU' if clock == 'cpu' else 'wall'} "
              "time. Targets:", ""]
    lines += [f"- {line}" for line in targets(by_key, floor, clock)]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    failed = [row for row in rows if row.error]
    for row in failed:
        lines.append(f"- {row.key} failed: {row.error}")
    return "\n".join(lines) + "\n"


def targets(by_key: dict[str, Row], floor: Optional[float], clock: str) -> list[str]:
    out = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    base, plugin = by_key.get("flake8"), by_key.get("flake8+FBP")
    if base and plugin:
        added = plugin.median(clock) / base.median(clock) - 1
        out.append(f"inside flake8 the plugin adds {100 * added:+.1f} % to E,W,F "
                   f"(at most +5 %): {verdict(added <= 0.05)}")
        warm = by_key.get("flake8+FBP-warm")
        if warm:
            again = warm.median(clock) / base.median(clock) - 1
            out.append(f"on the next run, with the summaries cached, it adds "
                       f"{100 * again:+.1f} %")
        for column in ("ASYNC", "B"):
            other = by_key.get(f"flake8+{column}")
            if other:
                extra = other.median(clock) / base.median(clock) - 1
                out.append(f"for comparison, flake8 {column} adds {100 * extra:+.1f} %")
    cold = by_key.get("cold-j1")
    if cold and floor:
        ratio = cold.median(clock) / floor
        out.append(f"cold `-j1` is {ratio:.2f} × the floor (at most 1.5): "
                   f"{verdict(ratio <= 1.5)}")
    edit = by_key.get("edit-j1")
    if edit and floor:
        ratio = edit.median(clock) / floor
        out.append(f"warm with one file changed is {ratio:.3f} × the floor (at most "
                   f"0.1): {verdict(ratio <= 0.1)}")
    growth = sorted((int(key[1:].split("-")[0]), row) for key, row in by_key.items()
                    if key.startswith("g") and key.endswith("-cold"))
    if len(growth) >= 2:
        (small, first), (large, last) = growth[0], growth[-1]
        per_first = first.median(clock) / first.files
        per_last = last.median(clock) / last.files
        ratio = per_last / per_first
        out.append(f"time per file at {large:,} files is {ratio:.2f} × that at "
                   f"{small:,} (at most 1.2): {verdict(ratio <= 1.2)}")
    lint_rows = [row for key, row in by_key.items()
                 if key.split("-")[0] in ("cold", "warm", "edit")]
    if base and lint_rows:
        peak = max(row.median("peak_kib") for row in lint_rows)
        limit = base.median("peak_kib")
        out.append(f"peak memory of `fastapi-lint check` {peak / 1024:.0f} MiB, "
                   "flake8's "
                   f"{limit / 1024:.0f} MiB: {verdict(peak <= limit)}")
    if base and plugin:
        grown = plugin.median("peak_kib") / base.median("peak_kib") - 1
        out.append(f"inside flake8 the plugin adds {100 * grown:+.1f} % to peak memory")
    return out


# -- entry point --------------------------------------------------------------------

def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="where the apps are, or are fetched to "
                             "(default: ../corpus beside the repository)")
    parser.add_argument("--fetch-script", type=Path, default=DEFAULT_FETCH,
                        help="the corpus fetch script "
                             "(default: ../shared/corpus/fetch.sh)")
    parser.add_argument("--apps", default=None,
                        help="comma-separated app names (default: every app)")
    parser.add_argument("--runs", type=int, default=3, help="rounds (default: 3)")
    parser.add_argument("--flake8-runs", type=int, default=None,
                        help="rounds of the flake8 rows, the slowest by far "
                             "(default: --runs)")
    parser.add_argument("--sizes", default=None,
                        help="generated project sizes in files "
                             "(default: 1000,10000,50000)")
    parser.add_argument("--skip", default="",
                        help="comma-separated, of: " + ", ".join(SKIPPABLE))
    parser.add_argument("--quick", action="store_true",
                        help=f"one app ({QUICK_APP}), one round, small generated "
                             "projects")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="folder for the copies (default: a temporary one, "
                             "removed)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="what the ratios compare: CPU time (user + system, "
                             "workers "
                             "included; steady on a shared machine) or wall time "
                             "(default: cpu)")
    parser.add_argument("--output", type=Path, default=None,
                        help="also write the table to this file")
    args = parser.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(SKIPPABLE)
    if unknown:
        parser.error(f"--skip: unknown {', '.join(sorted(unknown))}")
    if args.quick:
        args.apps = args.apps or QUICK_APP
        args.runs = 1
        args.sizes = args.sizes or ",".join(map(str, QUICK_SIZES))
    args.apps = [a.strip() for a in args.apps.split(",")] if args.apps else None
    args.sizes = [int(s) for s in (args.sizes or ",".join(map(str, SIZES))).split(",")]
    if args.runs < 1 or (args.flake8_runs is not None and args.flake8_runs < 1):
        parser.error("--runs and --flake8-runs must be 1 or more")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("fastapi_lint") is None:
        raise SystemExit("fastapi_lint is not importable: install it in this Python")
    apps = ensure_corpus(args.corpus.resolve(), args.apps, args.fetch_script)
    own_scratch = args.scratch is None
    scratch = Path(tempfile.mkdtemp(prefix="fastapi-lint-bench-")) if own_scratch \
        else args.scratch.resolve()
    try:
        return _run(args, apps, scratch)
    finally:
        if own_scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(args, apps: list[str], scratch: Path) -> int:
    corpus_copy = scratch / "corpus"
    if corpus_copy.exists():
        shutil.rmtree(corpus_copy)
    paths: list[Path] = []
    for app in apps:
        copied = copy_python(args.corpus.resolve() / app, corpus_copy / app)
        write_pyproject(corpus_copy / app, app)
        paths += copied
    file_list = scratch / "files.txt"
    file_list.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
    lines = count_lines(paths)
    editor = Editor(pick_edited(paths))
    log(f"{len(apps)} apps, {len(paths):,} files, {lines:,} lines; "
        f"the edited file: {editor.path.relative_to(corpus_copy)}")
    growth = []
    if "growth" not in args.skip:
        for size in args.sizes:
            root = scratch / f"generated-{size}"
            if root.exists():
                shutil.rmtree(root)
            written = generate_project(root, size)
            listing = scratch / f"generated-{size}.txt"
            listing.write_text("".join(f"{p}\n" for p in written), encoding="utf-8")
            growth.append((size, root, listing))
        log("generated: " + ", ".join(f"{size:,} files" for size in args.sizes))
    rows, notes = build_rows(args, scratch, corpus_copy, apps, file_list, len(paths),
                             editor, growth)
    try:
        run_rounds(rows, args.runs, scratch)
    finally:
        editor.restore()
    header = (f"{len(apps)} app{'s' if len(apps) > 1 else ''}, {len(paths):,} files, "
              f"{lines:,} lines; median of {args.runs} "
              f"run{'s' if args.runs > 1 else ''}"
              + (f" ({args.flake8_runs} of flake8)" if args.flake8_runs else "") + ";"
              f" Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    table = render(rows, notes, header, args.clock)
    sys.stdout.write(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
