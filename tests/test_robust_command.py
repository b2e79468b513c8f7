"""Property tests over the `fastapi-lint` command: `check`, `--diff` and `--fix`.

Programs come from the strategies of `test_robust_fuzz` (hypothesmith's grammar and
libcst nodes, FastAPI-shaped programs, edited rule fixtures). Each is written into a
small project, at a random place, beside copies of itself elsewhere in the project, and
the command runs on it in this process with random settings and output formats:

- `check` exits with 0 or 1, says nothing of an internal error, and reports findings
  that lie inside the file;
- `--diff` writes nothing, and shows exactly the change `--fix` then makes;
- `--fix` (with or without `--unsafe-fixes`) writes only the file it was asked to
  check, leaves no temporary file, keeps a program that compiled compiling (and one
  that parsed parsing), and a second `--fix` changes nothing.

Examples per property: FASTAPI_LINT_FUZZ_EXAMPLES, as in `test_robust_fuzz`.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
import tokenize
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import test_robust_fuzz as fuzz  # its program strategies and example counts
from clirun import run
from fastapi_lint import source
from fastapi_lint.project.cache import CACHE_DIR
from fastapi_lint.runner import unified_diff
from harness import FIXTURES
from robust import crashes, forget_process_state

# -- the programs ---------------------------------------------------------------------

FIX_FIXTURES = FIXTURES / "fixes"
def _read_python(path: Path) -> str:
    with tokenize.open(path) as handle:
        return handle.read()


FIX_TEXTS = [text for text in (
    _read_python(p) for p in sorted(FIX_FIXTURES.rglob("*.py"))
    if CACHE_DIR not in p.parts) if ast.parse(text).body]  # before and after fixing

# Lines the fixes act on, put at random places of a route's random body.
FIXABLE = st.sampled_from([
    "time.sleep(1)", "time.sleep(0.1 * n)", "asyncio.create_task(helper())",
    "asyncio.ensure_future(helper(n))", "task = asyncio.create_task(helper())",
    "requests.get('https://example.invalid')", "data = open('x').read()",
    "background_tasks.add_task(helper)", "await helper()", "return {}",
])
SIGNATURE = st.sampled_from([
    "()", "(n: int)", "(n: int, background_tasks: BackgroundTasks)",
    "(tasks: BackgroundTasks, n: int = 1)", "(n: int = Depends(helper))"])
ROUTE_PRELUDE = (
    "import time, asyncio, requests\n"
    "from fastapi import APIRouter, BackgroundTasks, Depends\n"
    "router = APIRouter()\n\n\n"
    "async def helper(*args):\n    pass\n\n\n"
)
OPENERS = ("else", "elif", "except", "finally", "case")


def _route(parts) -> str:
    is_async, signature, body, insertions = parts
    lines = list(body)
    for position, line in insertions:  # before a statement, at its indentation
        places = [i for i, text in enumerate(lines)
                  if not text.lstrip().startswith(OPENERS)]
        at = places[position % len(places)] if places else len(lines)
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())] \
            if at < len(lines) else ""
        lines.insert(at, indent + line)
    header = (f"@router.post('/items', status_code=201)\n"
              f"{'async ' if is_async else ''}def create{signature}:\n")
    return ROUTE_PRELUDE + header + "".join("    " + line + "\n" for line in lines)


SOURCES = {
    "grammar": hypothesmith.from_grammar(),
    "node": hypothesmith.from_node(),
    "fastapi": st.tuples(st.booleans(), fuzz.PROGRAM).map(
        lambda t: (fuzz.PRELUDE if t[0] else "") + t[1]),
    # a route whose body is random statements with fixable lines among them
    "route": st.tuples(st.booleans(), SIGNATURE, fuzz.BODY, st.lists(
        st.tuples(st.integers(0, 1000), FIXABLE), max_size=4)).map(_route),
    "rule_fixture": fuzz.edited_fixture(),
    "fix_fixture": fuzz.edited_fixture(FIX_TEXTS),
}
EXAMPLES = {kind: fuzz.SLOW_EXAMPLES if kind == "node" else fuzz.EXAMPLES
            for kind in SOURCES}

# -- the project each program is checked in -------------------------------------------

# The fix fixtures' project (domain packages under `src/`, each with a router), with
# the program under test at one of TARGETS and copies of it at every BYSTANDERS path,
# outside what is asked for.
TARGETS = ("src/payments/case.py", "src/payments/router.py",
           "src/payments/deep/inner.py", "src/__init__.py", "main.py")
BYSTANDERS = ("src/auth/copy.py", "scripts/tool.py")
SKELETON = {
    p.relative_to(FIX_FIXTURES).as_posix(): p.read_bytes()
    for p in sorted(FIX_FIXTURES.rglob("*"))
    if p.is_file() and CACHE_DIR not in p.parts and not p.name.startswith("FBP")
}

FLAGS = st.lists(st.sampled_from([
    ("--extend-select", "FBP304"),
    ("--app-root", "src"),
    ("--app-root", "."),
    ("--router-names", "*"),
    ("--type-checking-imports",),
    ("--no-cache",),
    ("--extra-blocking-calls", "mylib.fetch,x.y.*"),
    ("--extra-safe-wrappers", "mylib.offload"),
    ("--domain-packages", "payments,auth"),
    ("--required-modules", "schemas,service"),
    ("--status-code-methods", "GET"),
    ("--select", "FBP1,FBP4"),
    ("--ignore", "FBP3"),
]), unique_by=lambda flag: flag[0], max_size=4).map(
    lambda flags: [part for flag in flags for part in flag])


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("command")


class Project:
    """A fresh project holding `text` at `target` and at every bystander."""

    def __init__(self, base: Path, text: str, target: str) -> None:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no file holds them as text
            assume(False)
        self.root = Path(tempfile.mkdtemp(dir=base))
        self.target = target
        for name, content in SKELETON.items():
            self.write(name, content)
        for name in (target, *BYSTANDERS):
            self.write(name, data)
        self.data = data

    def write(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def files(self) -> dict[str, bytes]:
        """Every file's bytes, by relative path, the cache folder left out."""
        found = {}
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = [d for d in dirs if d != CACHE_DIR]
            for name in names:
                path = Path(folder, name)
                found[path.relative_to(self.root).as_posix()] = path.read_bytes()
        return found

    def run(self, *args: str):
        forget_process_state()  # each run as in a new process
        result = run(*args, cwd=self.root)
        assert result.code in (0, 1), (result.code, result.err)
        assert not crashes(result.err), result.err
        return result

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def compiles(data: bytes, path: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def parses(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, "<fixed>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


# -- the properties -----------------------------------------------------------------


def check_property(base: Path, text: str, target: str, whole: bool, fmt: str,
                   flags: list[str]) -> None:
    project = Project(base, text, target)
    try:
        before = project.files()
        paths = ["."] if whole else [target]
        result = project.run("check", "--jobs", "1", "--format", fmt, *flags, *paths)
        assert project.files() == before, "check wrote a file"
        if fmt == "json":
            for finding in json.loads(result.out):
                assert finding["code"].startswith("FBP")
                lines = len(source.split_lines(source.decode(
                    before[finding["path"]]).text))
                assert 1 <= finding["line"] <= max(lines, 1), finding
                assert finding["column"] >= 1, finding
        elif fmt == "sarif":
            assert json.loads(result.out)["version"] == "2.1.0"
    finally:
        project.remove()


def fix_property(base: Path, text: str, target: str, folder: bool, unsafe: bool,
                 diff: bool, flags: list[str]) -> bool:
    """Whether the fix changed the target (after every check on it passed)."""
    project = Project(base, text, target)
    try:
        before = project.files()
        asked = [(os.path.dirname(target) or ".") if folder else target]
        fix = ["--fix", *(["--unsafe-fixes"] if unsafe else []), "--jobs", "1", *flags]
        shown = ""
        if diff:
            shown = project.run("check", "--diff", *fix[1:], *asked).out
            assert project.files() == before, "--diff wrote a file"
        first = project.run("check", *fix, *asked)
        after = project.files()
        asked_files = {name for name in before if name == target or folder and
                       name.endswith(".py") and _inside(name, asked[0])}
        assert set(after) == set(before), "files appeared or vanished"
        for name in before:
            if name not in asked_files:
                assert after[name] == before[name], f"{name} was not asked for"
        for name in asked_files:
            if after[name] == before[name]:
                continue
            path = str(project.root / name)
            if compiles(before[name], path):
                assert compiles(after[name], path), after[name].decode()
            if parses(before[name]):
                assert parses(after[name]), after[name].decode()
        if compiles(before[target], target):
            assert "does not compile" not in first.err, first.err
        if diff:
            assert shown == "".join(
                unified_diff(source.decode(before[name]).text,
                             source.decode(after[name]).text, name)
                for name in sorted(asked_files) if after[name] != before[name])
        project.run("check", *fix, *asked)
        assert project.files() == after, "a second --fix changed the files again"
        return after[target] != before[target]
    finally:
        project.remove()


def _inside(name: str, folder: str) -> bool:
    return folder in ("", ".") or name.startswith(folder + "/")


TARGET = st.sampled_from(TARGETS)
FORMAT = st.sampled_from(["text", "json", "sarif", "github"])


def _check_test(kind: str):
    @settings(fuzz.FUZZ, max_examples=EXAMPLES[kind])
    @given(text=SOURCES[kind], target=TARGET, whole=st.booleans(), fmt=FORMAT,
           flags=FLAGS)
    def test(base, text, target, whole, fmt, flags):
        check_property(base, text, target, whole, fmt, flags)

    test.__name__ = f"test_check_on_{kind}_programs"
    return test


def _fix_test(kind: str):
    @settings(fuzz.FUZZ, max_examples=EXAMPLES[kind])
    @given(text=SOURCES[kind], target=TARGET, folder=st.booleans(),
           unsafe=st.booleans(), diff=st.booleans(), flags=FLAGS)
    def test(base, text, target, folder, unsafe, diff, flags):
        changed = fix_property(base, text, target, folder, unsafe, diff, flags)
        event("fixed" if changed else "not changed")

    test.__name__ = f"test_fix_on_{kind}_programs"
    return test


test_check_on_grammar_programs = _check_test("grammar")
test_check_on_node_programs = _check_test("node")
test_check_on_fastapi_programs = _check_test("fastapi")
test_check_on_route_programs = _check_test("route")
test_check_on_rule_fixture_programs = _check_test("rule_fixture")
test_check_on_fix_fixture_programs = _check_test("fix_fixture")
test_fix_on_grammar_programs = _fix_test("grammar")
test_fix_on_node_programs = _fix_test("node")
test_fix_on_fastapi_programs = _fix_test("fastapi")
test_fix_on_route_programs = _fix_test("route")
test_fix_on_rule_fixture_programs = _fix_test("rule_fixture")
test_fix_on_fix_fixture_programs = _fix_test("fix_fixture")


# -- the properties can fail ----------------------------------------------------------

FIXABLE_ROUTE = ROUTE_PRELUDE + (
    "@router.post('/items', status_code=201)\n"
    "async def create():\n    time.sleep(1)\n    return {}\n")


def test_fix_property_holds_on_a_fixable_route(base):
    assert fix_property(base, FIXABLE_ROUTE, TARGETS[0], False, False, True, [])


def test_check_property_notices_an_internal_error(base, monkeypatch):
    from fastapi_lint import engine

    def broken(ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(engine, "CHECKS", (broken,))
    with pytest.raises(AssertionError, match="internal error"):
        check_property(base, "x = 1\n", TARGETS[0], True, "text", [])


def test_fix_property_notices_a_write_outside_the_paths(base, monkeypatch):
    from fastapi_lint.fixes import writing

    real = writing.replace_file

    def also_elsewhere(path, expected, content):
        real(path, expected, content)
        root = Path(path).parents[2]
        (root / BYSTANDERS[0]).write_bytes(content)

    monkeypatch.setattr(writing, "replace_file", also_elsewhere)
    with pytest.raises(AssertionError, match="was not asked for"):
        fix_property(base, FIXABLE_ROUTE, TARGETS[0], False, False, False, [])


@pytest.mark.parametrize("added, complaint", [
    # leaves a finding to fix, so a second run fixes (and adds) again
    ("\n\nasync def again():\n    time.sleep(1)\n", "a second --fix changed"),
    ("\n)(\n", "SyntaxError|assert False"),
])
def test_fix_property_notices_bad_fixes(base, monkeypatch, added, complaint):
    from fastapi_lint import fixes

    real = fixes.fix_text

    def adding(text, check, unsafe=False):
        outcome = real(text, check, unsafe)
        outcome.text += added
        return outcome

    monkeypatch.setattr(fixes, "fix_text", adding)
    with pytest.raises(AssertionError, match=complaint):
        fix_property(base, FIXABLE_ROUTE, TARGETS[0], False, False, False, [])


# -- defects the properties found ---------------------------------------------------


def test_one_fix_run_also_makes_the_fixes_an_earlier_fix_allowed(tmp_path):
    """Found by test_fix_on_route_programs: the task fix (FBP400) took away the reason
    the `def` fix (FBP100) had been declined for, but the declined finding was not
    offered again, so only a second `--fix` made the route a `def`."""
    before = ROUTE_PRELUDE + (
        "@router.post('/items', status_code=201)\n"
        "async def create():\n"
        "    asyncio.create_task(helper())\n"
        "    time.sleep(1)\n")
    after = ROUTE_PRELUDE + (
        "@router.post('/items', status_code=201)\n"
        "def create(background_tasks: BackgroundTasks):\n"
        "    background_tasks.add_task(helper)\n"
        "    time.sleep(1)\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    case = tmp_path / "case.py"
    case.write_text(before)
    fix = ("check", "--fix", "--unsafe-fixes", "--jobs", "1", "--no-cache", "case.py")
    first = run(*fix, cwd=tmp_path)
    assert case.read_text() == after
    assert "Fixed 2 findings in 1 file; 1 finding left." in first.out
    second = run(*fix, cwd=tmp_path)
    assert case.read_text() == after
    assert "Fixed 0 findings in 0 files; 1 finding left." in second.out


def test_what_the_parser_and_compiler_warn_of_is_not_printed(tmp_path):
    """An invalid escape sequence (a SyntaxWarning from Python 3.12) and a call of a
    number (the compiler's SyntaxWarning, met when a fix is checked) print nothing."""
    text = 'import re\n\nPATTERN = re.compile("\\d+")\nBROKEN = 1()\n'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source.parse(source.decode(text.encode()), "warns.py")
        assert source.compiles(text) is None
    assert [str(w.message) for w in caught] == []
    (tmp_path / "warns.py").write_text(text)
    result = run("check", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert result.code == 0 and "Warning" not in result.err, result.err
